package io.opencodefleet.planner.task;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.messages.ControlCommand;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import io.opencodefleet.planner.mission.Mission;
import io.opencodefleet.planner.mission.MissionEvents;
import io.opencodefleet.planner.outbox.Outbox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Turns ready tasks into assignments on {@code fleet.tasks}, within the mission's parallelism, and asks the
 * reviewer to seal a mission whose tasks are all done. Callers hold the mission's row lock.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class TaskDispatcher {

    /** The reviewer's final check of a mission travels as a task result with this id (never a valid task id). */
    public static final String SEAL_TASK_ID = "_seal";

    @Inject
    Outbox outbox;

    @Inject
    MissionEvents events;

    @Inject
    PlannerMetrics metrics;

    /** Tasks whose dependencies are done, not yet dispatched, in plan order (at most {@code limit}). */
    public List<Task> readyTasks(Mission mission, int limit) {
        return Task.find("missionId = ?1 and status = ?2 and pendingDeps = 0 order by position",
                mission.id, TaskState.PENDING).page(0, limit).list();
    }

    /** Dispatches every ready task, up to {@code limits.maxParallel} in flight; returns how many. */
    public int dispatchReady(Mission mission) {
        Integer maxParallel = mission.submitted().limits().maxParallel();
        int slots = 10_000;
        if (maxParallel != null) {
            long inFlight = Task.count("missionId = ?1 and status in ?2", mission.id,
                    List.of(TaskState.QUEUED, TaskState.RUNNING, TaskState.REVIEWING));
            slots = (int) Math.max(0, maxParallel - inFlight);
        }
        if (slots == 0) {
            return 0;
        }
        List<Task> ready = readyTasks(mission, slots);
        for (Task task : ready) {
            dispatch(mission, task, task.feedback);
        }
        return ready.size();
    }

    /** Publishes the next attempt of {@code task}, carrying {@code feedback} from the previous one. */
    public void dispatch(Mission mission, Task task, String feedback) {
        MissionSubmitted spec = mission.submitted();
        Instant now = Instant.now();
        task.attempt += 1;
        task.status = TaskState.QUEUED;
        task.feedback = feedback;
        task.dispatchedAt = now;
        task.startedAt = null;
        task.lastHeartbeatAt = null;
        String branch = GitBranches.task(mission.id, task.taskId, task.attempt);

        TaskAttempt attempt = new TaskAttempt();
        attempt.missionId = mission.id;
        attempt.taskId = task.taskId;
        attempt.attempt = task.attempt;
        attempt.status = TaskState.QUEUED.name();
        attempt.branch = branch;
        attempt.dispatchedAt = now;
        attempt.persist();

        String role = task.kind == TaskKind.PLAN ? "planner" : "coder";
        outbox.publish(Topics.TASKS, task.taskId, new TaskAssignment(mission.id, task.taskId, task.attempt, task.kind,
                task.title, task.prompt, context(mission, task), feedback, spec.repo(), branch, mission.integrationBranch,
                spec.modelFor(role), spec.limits().taskTimeoutSeconds(), spec.verify(), task.declaredFiles(), spec.review(),
                spec.modelFor("reviewer")));
        events.task(mission.id, MissionEvent.Kind.TASK_DISPATCHED, task.taskId, task.attempt, null);
        metrics.dispatched(task.kind);
    }

    /** Asks the reviewer to run the mission's checks on the final integration branch. */
    public void requestSeal(Mission mission) {
        MissionSubmitted spec = mission.submitted();
        outbox.publish(Topics.RESULTS, mission.id, new TaskResult(mission.id, SEAL_TASK_ID, 1, TaskStatus.SUCCEEDED,
                TaskKind.SEAL, null, null, null, "all tasks merged", null, null, 0, null, null, null,
                spec.repo(), mission.integrationBranch, spec.verify(), mission.title, spec.goal(), null, spec.review(),
                spec.modelFor("reviewer")));
    }

    /** Tells every worker to stop the mission's running work. */
    public void cancelRunning(Mission mission, String reason) {
        outbox.publish(Topics.CONTROL, mission.id,
                new ControlCommand(mission.id, ControlCommand.Command.CANCEL, null, reason, Instant.now()));
    }

    /** The mission goal and what the task's finished dependencies did, for the agent's prompt. */
    private String context(Mission mission, Task task) {
        StringBuilder context = new StringBuilder("Mission goal:\n").append(mission.submitted().goal().strip());
        List<String> deps = TaskEdge.dependenciesOf(mission.id, task.taskId);
        if (!deps.isEmpty()) {
            List<Task> done = Task.list("missionId = ?1 and taskId in ?2 order by position", mission.id, deps);
            context.append("\n\nFinished tasks this one builds on:\n").append(done.stream()
                    .map(t -> "- " + t.taskId + " (" + t.title + "): " + (t.summary == null ? "done" : t.summary.strip()))
                    .collect(Collectors.joining("\n")));
        }
        if (mission.guidance != null) {
            context.append("\n\nGuidance from a person overseeing the mission:\n").append(mission.guidance.strip());
        }
        return context.toString();
    }
}
