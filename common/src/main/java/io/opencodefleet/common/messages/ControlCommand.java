package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import java.time.Instant;

/**
 * A command every worker hears: cancel a mission's running work (all its tasks when {@code taskId} is null),
 * or stop a superseded attempt ({@code taskId} and {@code attempt}: every run of that task whose attempt is at
 * most {@code attempt}).
 */
public record ControlCommand(
        @NotBlank @Pattern(regexp = Ids.MISSION_ID, message = Ids.ID_MESSAGE) String missionId,
        @NotNull Command command,
        @Pattern(regexp = Ids.TASK_ID, message = Ids.ID_MESSAGE) String taskId,
        @Size(max = Sizes.ERROR) String reason,
        Instant at,
        @Positive Integer attempt) implements FleetMessage {

    public enum Command {
        CANCEL
    }

    /** Whether a run of {@code taskId} at {@code runAttempt} of this mission must stop. */
    public boolean stops(String runMissionId, String runTaskId, int runAttempt) {
        return missionId.equals(runMissionId) && (taskId == null || taskId.equals(runTaskId))
                && (attempt == null || runAttempt <= attempt);
    }
}
