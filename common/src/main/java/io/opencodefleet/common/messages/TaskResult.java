package io.opencodefleet.common.messages;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * What a worker did with one attempt of a task, on {@code fleet.results} keyed by mission, for the planner. The
 * planner fences it (the task's current attempt, a running mission) before it asks the reviewer for anything.
 * {@code error.kind} tells the agent's own failures (which use up an attempt) from the fleet's (which do not).
 */
public record TaskResult(
        @NotBlank @Pattern(regexp = Ids.MISSION_ID, message = Ids.ID_MESSAGE) String missionId,
        @NotBlank @Pattern(regexp = Ids.TASK_ID, message = Ids.ID_MESSAGE) String taskId,
        @Positive int attempt,
        @NotNull TaskStatus status,
        TaskKind kind,
        @GitBranch String branch,
        @Pattern(regexp = "[0-9a-f]{40}|[0-9a-f]{64}", message = "must be a full commit id") String commit,
        @Size(max = Sizes.FILES * 5) List<@NotNull @Size(max = Sizes.PATH * 2) String> changedFiles,
        @Size(max = Sizes.SUMMARY + 100) String summary,
        @Size(max = Sizes.PLAN_TASKS) List<@Valid PlannedTask> plan,
        @Valid Usage usage,
        @PositiveOrZero long durationMs,
        @Size(max = 200) @Pattern(regexp = Ids.WORKER_ID, message = "must be a worker name") String workerId,
        @Size(max = 200) String opencodeSessionId,
        @Valid ErrorInfo error) implements FleetMessage {

    public TaskResult {
        changedFiles = Copies.list(changedFiles);
        usage = usage == null ? Usage.ZERO : usage;
        kind = kind == null ? TaskKind.CODE : kind;
    }

    /** This attempt's result as {@code task} assigned it, with what the worker did. */
    public static TaskResult of(TaskAssignment task, TaskStatus status, String branch, String commit, List<String> changedFiles,
            String summary, List<PlannedTask> plan, Usage usage, long durationMs, String workerId, String sessionId, ErrorInfo error) {
        return new TaskResult(task.missionId(), task.taskId(), task.attempt(), status, task.kind(), branch, commit, changedFiles,
                summary, plan, usage, durationMs, workerId, sessionId, error);
    }
}
