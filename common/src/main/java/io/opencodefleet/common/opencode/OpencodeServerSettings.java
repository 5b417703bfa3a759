package io.opencodefleet.common.opencode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import io.opencodefleet.common.sandbox.Sandbox;

/**
 * How to run an {@code opencode serve} of our own ({@link ManagedOpencodeServer}).
 *
 * @param binary the {@code opencode} executable (the pinned {@code opencode-ai} from npm)
 * @param stateRoot the server's own directory: XDG data/cache/state/config homes live under it (servers must
 *        never share OpenCode's SQLite database)
 * @param configContent OpenCode configuration JSON layered over the user's own configuration (for example a
 *        provider); the fleet's settings and agents are layered over it ({@link OpencodeConfiguration}). May be null.
 * @param userEnvironment the environment of whoever runs the server (a service's own): where the user's OpenCode
 *        configuration, credentials and model catalogue are found ({@code OPENCODE_CONFIG}, {@code
 *        OPENCODE_CONFIG_CONTENT}, {@code OPENCODE_MODELS_PATH}, {@code XDG_*_HOME}, {@code HOME}); empty = none
 * @param maxRssBytes restart the server (between tasks, see {@link ManagedOpencodeServer#ensureHealthy()}) when its
 *        resident memory exceeds this; 0 = no limit
 * @param startupTimeout how long a start may take before it counts as failed
 * @param healthTimeout how long one {@code /global/health} probe may take
 * @param password the server's password; null = a new random one per start
 * @param sandbox where the server (and every tool its agent runs) is contained; null = run it with the caller's
 *        environment (tests of OpenCode itself, the reviewer's read-only agent). The server's own directories are
 *        made writable in it.
 */
public record OpencodeServerSettings(Path binary, Path stateRoot, String configContent, Map<String, String> userEnvironment,
        long maxRssBytes, Duration startupTimeout, Duration healthTimeout, String password, Sandbox sandbox) {

    public static final long DEFAULT_MAX_RSS_BYTES = 1024L * 1024 * 1024;

    public OpencodeServerSettings {
        Objects.requireNonNull(binary, "binary");
        Objects.requireNonNull(stateRoot, "stateRoot");
        userEnvironment = userEnvironment == null ? Map.of() : Map.copyOf(userEnvironment);
        startupTimeout = startupTimeout == null ? Duration.ofSeconds(60) : startupTimeout;
        healthTimeout = healthTimeout == null ? Duration.ofSeconds(2) : healthTimeout;
    }

    public static OpencodeServerSettings of(Path binary, Path stateRoot) {
        return new OpencodeServerSettings(binary, stateRoot, null, Map.of(), DEFAULT_MAX_RSS_BYTES, null, null, null, null);
    }

    public OpencodeServerSettings withConfigContent(String json) {
        return new OpencodeServerSettings(binary, stateRoot, json, userEnvironment, maxRssBytes, startupTimeout,
                healthTimeout, password, sandbox);
    }

    public OpencodeServerSettings withMaxRssBytes(long bytes) {
        return new OpencodeServerSettings(binary, stateRoot, configContent, userEnvironment, bytes, startupTimeout,
                healthTimeout, password, sandbox);
    }

    public OpencodeServerSettings withSandbox(Sandbox contained) {
        return new OpencodeServerSettings(binary, stateRoot, configContent, userEnvironment, maxRssBytes, startupTimeout,
                healthTimeout, password, contained);
    }
}
