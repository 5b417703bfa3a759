package io.opencodefleet.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The worker's settings ({@code fleet.worker.*}, {@code fleet.opencode.*}). */
@ConfigMapping(prefix = "fleet")
public interface WorkerConfig {

    Worker worker();

    Opencode opencode();

    /** The model when the mission names none ({@code FLEET_MODEL}); else OpenCode's default. */
    Optional<String> model();

    interface Worker {
        /** This worker's name in results and heartbeats; defaults to host name and process id. */
        Optional<String> id();

        /** Concurrent task slots; each runs one OpenCode session. */
        @WithDefault("2")
        int slots();

        /** Where the slots' working trees live (one per slot, reset between attempts). */
        Path workDir();

        @WithDefault("5s")
        Duration heartbeatInterval();

    }

    interface Opencode {
        /** Use this running OpenCode server instead of starting one. */
        Optional<String> url();

        /** Password of the server at {@link #url()}. */
        Optional<String> password();

        /** The opencode binary; defaults to the project's node_modules/.bin/opencode, else PATH. */
        Optional<String> bin();

        /** Fix the supervised server's password (so a person can `opencode attach`); random per start if unset. */
        Optional<String> serverPassword();

        /** Root of the supervised server's own XDG data/cache/state/config directories. */
        Path home();

        /** Restart the supervised server when its resident memory passes this many megabytes. */
        @WithDefault("4096")
        long maxRssMb();
    }
}
