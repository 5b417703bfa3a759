package io.opencodefleet.planner;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/** The planner's settings ({@code fleet.*}); every time is a {@link Duration} ("90s", "PT2M"). */
@ConfigMapping(prefix = "fleet")
public interface PlannerConfig {

    /** A RUNNING task whose heartbeats stop for this long is re-dispatched (a new attempt, not charged). */
    @WithDefault("90s")
    Duration lease();

    Deadlines deadlines();

    Retries retries();

    Dispatch dispatch();

    Repo repo();

    /** The largest plan (tasks) a mission may have. */
    @WithDefault("10000")
    int maxPlanTasks();

    interface Deadlines {
        /** How often the planner looks for deadlines that passed. */
        @WithDefault("1s")
        Duration checkInterval();

        /** A QUEUED task not started by then has its assignment's fate checked (waiting or lost). */
        @WithDefault("30s")
        Duration queued();

        /** A review (or seal) request not answered by then has its fate checked. */
        @WithDefault("60s")
        Duration review();

        /** After the planner starts, no lease expires before this long (it reads the heartbeats first). */
        Optional<Duration> startupGrace();
    }

    interface Retries {
        /** How often the fleet's trouble may re-dispatch one task before it gives up. */
        @WithDefault("10")
        int maxRedispatches();

        @WithDefault("2s")
        Duration firstBackoff();

        @WithDefault("60s")
        Duration maxBackoff();
    }

    interface Dispatch {
        /** Tasks of one mission in flight at once when its limits.maxParallel is not set. */
        @WithDefault("500")
        int maxInFlight();
    }

    interface Repo {
        /** The repository URL schemes this deployment accepts ({@code file} only where repositories are local). */
        @WithDefault("https,ssh")
        Set<String> allowedSchemes();
    }
}
