package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import java.util.List;

/**
 * The reviewer's verdict on one attempt of a task; {@code feedback} goes into the next attempt's prompt.
 * {@code warnings} (approved work that looks off, such as files changed outside the task's declared files)
 * pause a mission whose policy is {@code on-warning}. {@code reviewUsage} is what a review by agent spent.
 */
public record ReviewVerdict(
        @NotBlank String missionId,
        @NotBlank String taskId,
        @Positive int attempt,
        @NotNull Verdict verdict,
        String feedback,
        String mergedCommit,
        List<CheckRun> checks,
        TaskResult result,
        List<String> warnings,
        Usage reviewUsage) implements FleetMessage {

    public ReviewVerdict {
        checks = checks == null ? List.of() : List.copyOf(checks);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }
}
