package io.opencodefleet.common.opencode;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The OpenCode servers of a service ({@code fleet.opencode.*}): the worker's, one per task slot, and the reviewer's. */
@ConfigMapping(prefix = "fleet.opencode")
public interface OpencodeConfig {

    /** Use this running OpenCode server (for every slot, for the review agent) instead of starting our own. */
    Optional<URI> url();

    /** Password of the server at {@link #url()}. */
    Optional<String> password();

    /** The opencode binary; defaults to the project's node_modules/.bin/opencode, else PATH. */
    Optional<Path> bin();

    /** Root of our own servers' XDG data/cache/state/config directories, one directory per server. */
    @WithDefault("${java.io.tmpdir}/fleet-opencode")
    Path home();

    /** Restart a server of our own (between tasks) when its resident memory passes this many megabytes; 0 = no limit. */
    @WithDefault("4096")
    long maxRssMb();

    /**
     * How many ended sessions a server keeps for a person to look at ({@code bin/fleet attach}); the fleet deletes the
     * older ones it ran, since OpenCode's database keeps every session's messages (disk grows with every task otherwise).
     */
    @WithDefault("20")
    int keptSessions();

    /** How long {@code opencode serve} may take to start and answer. */
    @WithDefault("60s")
    Duration startupTimeout();

    /** How long one {@code /global/health} probe of a server may take (our own servers' restart policy, readiness). */
    @WithDefault("2s")
    Duration healthTimeout();

    /**
     * How the worker's servers (and every tool their agents run) are contained: {@code auto} (bubblewrap when it runs
     * here), {@code bubblewrap}, or {@code environment} (a cleared environment only).
     */
    @WithDefault("auto")
    String sandbox();

    /**
     * The service's environment variables a contained server gets (the model provider's key, say): names, or
     * prefixes/suffixes with {@code *}. Nothing else of the service's environment (Kafka and git credentials) reaches it.
     */
    @WithDefault("*_API_KEY")
    List<String> environment();
}
