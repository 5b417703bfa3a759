package io.opencodefleet.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The worker's settings ({@code fleet.worker.*}; its OpenCode servers: {@code fleet.opencode.*}, {@code OpencodeConfig}). */
@ConfigMapping(prefix = "fleet")
public interface WorkerConfig {

    Worker worker();

    /** The model when the mission names none ({@code FLEET_MODEL}); else OpenCode's default. */
    Optional<String> model();

    interface Worker {
        /** This worker's name in results and heartbeats; defaults to host name and process id. */
        Optional<String> id();

        /**
         * Where people reach this worker's HTTP port (the attach proxy); default: its own host and port. On Kubernetes,
         * e.g. {@code http://$(POD_IP):8081}.
         */
        @WithDefault("http://${quarkus.http.host}:${quarkus.http.port}")
        String publicUrl();

        /** Concurrent task slots; each runs one OpenCode session. */
        @WithDefault("2")
        int slots();

        /** Where the slots' working trees live (one per slot, reset between attempts). */
        Path workDir();

        @WithDefault("5s")
        Duration heartbeatInterval();

        /**
         * On SIGTERM (scale-in, rolling update) running tasks get this long to finish; the rest are aborted and
         * handed back (RELEASED: another worker takes them at once, no attempt used). Keep the pod's termination grace
         * period above it.
         */
        @WithDefault("30s")
        Duration drainTimeout();

        /** How often a step that failed on the fleet's side (git remote, disk, OpenCode) is tried before the task is handed back as failed. */
        @WithDefault("4")
        int transientTries();

        @WithDefault("1s")
        Duration firstBackoff();

        @WithDefault("15s")
        Duration maxBackoff();

    }
}
