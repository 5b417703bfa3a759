package io.opencodefleet.common.messages;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import java.util.List;

/**
 * What a worker did with one attempt of a task. Keyed by missionId so one partition is one mission's
 * merge queue. Carries what the reviewer needs from the assignment: repo, integration branch, verify
 * commands, the task's title, prompt and declared files, and the review policy.
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
        @Valid VerifySpec verify,
        String title,
        String prompt,
        List<String> files,
        @Valid ReviewPolicy review,
        String reviewModel) implements FleetMessage {

    public TaskResult {
        changedFiles = changedFiles == null ? List.of() : List.copyOf(changedFiles);
        usage = usage == null ? Usage.ZERO : usage;
        kind = kind == null ? TaskKind.CODE : kind;
        files = files == null ? List.of() : List.copyOf(files);
        review = review == null ? ReviewPolicy.defaults() : review;
    }

    /** This attempt's result as {@code task} assigned it, with what the worker did. */
    public static TaskResult of(TaskAssignment task, TaskStatus status, String branch, String commit, List<String> changedFiles,
            String summary, List<PlannedTask> plan, Usage usage, long durationMs, String workerId, String sessionId, ErrorInfo error) {
        return new TaskResult(task.missionId(), task.taskId(), task.attempt(), status, task.kind(), branch, commit, changedFiles,
                summary, plan, usage, durationMs, workerId, sessionId, error, task.repo(), task.integrationBranch(), task.verify(),
                task.title(), task.prompt(), task.files(), task.review(), task.reviewModel());
    }
}
