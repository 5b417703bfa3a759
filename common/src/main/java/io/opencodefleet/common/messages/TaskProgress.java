package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.time.Instant;

/** A worker's heartbeat for a running attempt: it keeps the lease alive and reports progress. */
public record TaskProgress(
        @NotBlank @Pattern(regexp = Ids.MISSION_ID, message = Ids.ID_MESSAGE) String missionId,
        @NotBlank @Pattern(regexp = Ids.TASK_ID, message = Ids.ID_MESSAGE) String taskId,
        @Positive int attempt,
        @Size(max = 200) @Pattern(regexp = Ids.WORKER_ID, message = "must be a worker name") String workerId,
        @Size(max = 64) String phase,
        @PositiveOrZero long tokens,
        Instant at,
        @Size(max = 500) String opencodeUrl,
        @Size(max = 200) String opencodeSessionId) implements FleetMessage {
}
