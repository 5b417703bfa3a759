package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import java.util.List;

/** The reviewer's verdict on one attempt of a task; {@code feedback} goes into the next attempt's prompt. */
public record ReviewVerdict(
        @NotBlank String missionId,
        @NotBlank String taskId,
        @Positive int attempt,
        @NotNull Verdict verdict,
        String feedback,
        String mergedCommit,
        List<CheckRun> checks,
        TaskResult result) implements FleetMessage {

    public ReviewVerdict {
        checks = checks == null ? List.of() : List.copyOf(checks);
    }
}
