package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Positive;
import java.time.Instant;

/** A worker's heartbeat for a running attempt: it keeps the lease alive and reports progress. */
public record TaskProgress(
        @NotBlank String missionId,
        @NotBlank String taskId,
        @Positive int attempt,
        String workerId,
        String phase,
        long tokens,
        Instant at,
        String opencodeUrl,
        String opencodeSessionId) implements FleetMessage {
}
