package io.opencodefleet.common.messages;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import java.util.List;

/**
 * What a worker did with one attempt of a task. Keyed by missionId so one partition is one mission's
 * merge queue. Carries the mission's repo, integration branch and verify commands from the assignment.
 */
public record TaskResult(
        @NotBlank String missionId,
        @NotBlank String taskId,
        @Positive int attempt,
        @NotNull TaskStatus status,
        TaskKind kind,
        String branch,
        String commit,
        List<String> changedFiles,
        String summary,
        List<@Valid PlannedTask> plan,
        Usage usage,
        long durationMs,
        String workerId,
        String opencodeSessionId,
        ErrorInfo error,
        @Valid RepoRef repo,
        String integrationBranch,
        @Valid VerifySpec verify) implements FleetMessage {

    public TaskResult {
        changedFiles = changedFiles == null ? List.of() : List.copyOf(changedFiles);
        usage = usage == null ? Usage.ZERO : usage;
        kind = kind == null ? TaskKind.CODE : kind;
    }
}
