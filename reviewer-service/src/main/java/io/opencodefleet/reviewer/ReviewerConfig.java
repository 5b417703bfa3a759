package io.opencodefleet.reviewer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The reviewer's settings ({@code fleet.reviewer.*}). */
@ConfigMapping(prefix = "fleet.reviewer")
public interface ReviewerConfig {

    /** Scratch clones live here, one per mission, reused across its merges. */
    Path workDir();

    /**
     * How long a mission's scratch clone stays after its last review when no seal deletes it (a failed or cancelled
     * mission); it is made again if the mission comes back.
     */
    @WithDefault("6h")
    Duration idleCloneLifetime();

    /** How often idle scratch clones are looked for. */
    @WithDefault("10m")
    Duration cloneSweepInterval();

    /** How often a merge is redone when the integration branch moved under it before it could push. */
    @WithDefault("5")
    int pushAttempts();

    /** How long a review by agent may take. */
    @WithDefault("15m")
    Duration llmTimeout();

    /** How often a review is retried when git, the disk or OpenCode fail on the way, before it answers ERROR. */
    @WithDefault("6")
    int transientTries();

    @WithDefault("1s")
    Duration firstBackoff();

    @WithDefault("30s")
    Duration maxBackoff();

    /** How verify commands are contained: {@code auto} (bubblewrap when it runs here), {@code bubblewrap}, {@code environment}. */
    @WithDefault("auto")
    String sandbox();

    /** Variables of the reviewer's environment its checks get (e.g. JAVA_HOME); none by default. */
    Optional<List<String>> checkEnvironment();

    /** Extra paths checks may read (tool installations outside /usr, /etc and /opt). */
    Optional<List<Path>> checkReadable();
}
