package io.opencodefleet.common.messages;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;

/** How far a mission may go: attempts per task, parallel tasks, time per task, and spend. */
public record Limits(
        @Positive @Max(100) Integer maxAttempts,
        @Positive @Max(10_000) Integer maxParallel,
        @Positive @Max(604_800) Integer taskTimeoutSeconds,
        @PositiveOrZero Long budgetTokens,
        @PositiveOrZero Double budgetUsd) {

    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    public static final int DEFAULT_TASK_TIMEOUT_SECONDS = 1800;

    public Limits {
        if (maxAttempts == null) {
            maxAttempts = DEFAULT_MAX_ATTEMPTS;
        }
        if (taskTimeoutSeconds == null) {
            taskTimeoutSeconds = DEFAULT_TASK_TIMEOUT_SECONDS;
        }
    }

    public static Limits defaults() {
        return new Limits(null, null, null, null, null);
    }
}
