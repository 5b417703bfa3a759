package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Instant;

/** A mission lifecycle event on {@code fleet.events}, for users' systems. */
public record MissionEvent(
        @NotBlank String missionId,
        @NotNull Kind event,
        String taskId,
        Integer attempt,
        @NotNull Instant at,
        String detail) implements FleetMessage {

    public enum Kind {
        SUBMITTED, PLANNED, TASK_DISPATCHED, TASK_STARTED, TASK_SUCCEEDED, TASK_REJECTED, TASK_FAILED,
        PAUSED, RESUMED, SEALED, FAILED, CANCELLED
    }
}
