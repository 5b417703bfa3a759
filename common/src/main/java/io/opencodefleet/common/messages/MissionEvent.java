package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Instant;

/**
 * A mission lifecycle event on {@code fleet.events}, for users' systems. {@code seq} orders a mission's
 * events (it grows with every event of the fleet); a consumer can drop one it has seen.
 */
public record MissionEvent(
        @NotBlank @Pattern(regexp = Ids.MISSION_ID, message = Ids.ID_MESSAGE) String missionId,
        @NotNull Kind event,
        @Pattern(regexp = Ids.TASK_ID, message = Ids.ID_MESSAGE) String taskId,
        Integer attempt,
        @NotNull Instant at,
        @Size(max = Sizes.FEEDBACK + Sizes.CHECK_OUTPUT) String detail,
        Long seq) implements FleetMessage {

    public enum Kind {
        SUBMITTED, PLANNED, TASK_DISPATCHED, TASK_STARTED, TASK_SUCCEEDED, TASK_REJECTED, TASK_FAILED,
        PAUSED, RESUMED, SEALED, FAILED, CANCELLED;

        /** The mission's last event: nothing follows it. */
        public boolean isFinal() {
            return this == SEALED || this == FAILED || this == CANCELLED;
        }
    }
}
