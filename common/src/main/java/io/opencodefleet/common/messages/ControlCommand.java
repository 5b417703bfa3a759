package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Instant;

/** A command every worker hears: cancel a mission's running work (all its tasks when taskId is null). */
public record ControlCommand(
        @NotBlank String missionId,
        @NotNull Command command,
        String taskId,
        String reason,
        Instant at) implements FleetMessage {

    public enum Command {
        CANCEL
    }
}
