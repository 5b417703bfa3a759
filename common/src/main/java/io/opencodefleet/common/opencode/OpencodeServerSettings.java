package io.opencodefleet.common.opencode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How a worker runs its own {@code opencode serve}.
 *
 * @param binary the {@code opencode} executable (the pinned {@code opencode-ai} from npm)
 * @param stateRoot the server's own directory: XDG data/cache/state/config homes live under it (servers must
 *        never share OpenCode's SQLite database)
 * @param configContent OpenCode configuration JSON layered over the user's own configuration (for example a
 *        provider); the worker's settings (no autoupdate, no sharing, permissions that never ask) are layered
 *        over it. May be null.
 * @param userConfig the user's own OpenCode configuration file; null = {@code OPENCODE_CONFIG} if set, else
 *        {@code ~/.config/opencode/opencode.json[c]} when it exists (a private XDG_CONFIG_HOME would hide it)
 * @param maxRssBytes restart the server (between tasks, see {@link OpencodeServer#ensureHealthy()}) when its
 *        resident memory exceeds this; 0 = no limit
 * @param startupTimeout how long a start may take before it counts as failed
 * @param environment extra environment variables for the server process
 * @param password the server's password; null = a new random one per start (set it only where a person must
 *        attach, e.g. a local fleet)
 */
public record OpencodeServerSettings(Path binary, Path stateRoot, String configContent, Path userConfig,
        long maxRssBytes, Duration startupTimeout, Map<String, String> environment, String password) {

    public static final long DEFAULT_MAX_RSS_BYTES = 1024L * 1024 * 1024;

    public OpencodeServerSettings {
        Objects.requireNonNull(binary, "binary");
        Objects.requireNonNull(stateRoot, "stateRoot");
        startupTimeout = startupTimeout == null ? Duration.ofSeconds(60) : startupTimeout;
        environment = environment == null ? Map.of() : Map.copyOf(environment);
    }

    public static OpencodeServerSettings of(Path binary, Path stateRoot) {
        return new OpencodeServerSettings(binary, stateRoot, null, null, DEFAULT_MAX_RSS_BYTES, null, Map.of(), null);
    }

    public OpencodeServerSettings withConfigContent(String json) {
        return new OpencodeServerSettings(binary, stateRoot, json, userConfig, maxRssBytes, startupTimeout,
                environment, password);
    }

    public OpencodeServerSettings withUserConfig(Path file) {
        return new OpencodeServerSettings(binary, stateRoot, configContent, file, maxRssBytes, startupTimeout,
                environment, password);
    }

    public OpencodeServerSettings withMaxRssBytes(long bytes) {
        return new OpencodeServerSettings(binary, stateRoot, configContent, userConfig, bytes, startupTimeout,
                environment, password);
    }

    public OpencodeServerSettings withStartupTimeout(Duration timeout) {
        return new OpencodeServerSettings(binary, stateRoot, configContent, userConfig, maxRssBytes, timeout,
                environment, password);
    }

    public OpencodeServerSettings withEnvironment(Map<String, String> variables) {
        return new OpencodeServerSettings(binary, stateRoot, configContent, userConfig, maxRssBytes,
                startupTimeout, variables, password);
    }

    public OpencodeServerSettings withPassword(String fixedPassword) {
        return new OpencodeServerSettings(binary, stateRoot, configContent, userConfig, maxRssBytes, startupTimeout,
                environment, fixedPassword);
    }
}
