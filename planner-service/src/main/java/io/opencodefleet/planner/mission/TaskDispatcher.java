package io.opencodefleet.planner.mission;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.messages.ControlCommand;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.planner.PlannerConfig;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import io.opencodefleet.planner.outbox.Delivery;
import io.opencodefleet.planner.outbox.Outbox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Every message the planner sends about a mission's work, written to the outbox in the caller's transaction:
 * assignments (a new attempt, or the same one again when it was lost), review requests built from the planner's
 * own copy of the mission (the reviewer trusts nothing else), seal requests and stop commands. Callers hold the
 * mission's row lock.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class TaskDispatcher {

    /** The reviewer's final check of a mission answers as this task id (never a plan's task id). */
    public static final String SEAL_TASK_ID = "_seal";

    @Inject
    Outbox outbox;

    @Inject
    MissionEvents events;

    @Inject
    PlannerMetrics metrics;

    @Inject
    PlannerConfig config;

    /** Tasks whose dependencies are done and whose backoff (if any) is over, in plan order (at most {@code limit}). */
    public List<Task> readyTasks(Mission mission, int limit, Instant now) {
        return Task.find("missionId = ?1 and status = ?2 and pendingDeps = 0 and (notBefore is null or notBefore <= ?3) order by position",
                mission.id, TaskState.PENDING, now).page(0, limit).list();
    }

    /** Dispatches ready tasks up to the mission's parallelism; returns how many. */
    public int dispatchReady(Mission mission, Instant now) {
        Integer maxParallel = mission.submitted().limits().maxParallel();
        int limit = maxParallel != null ? maxParallel : config.dispatch().maxInFlight();
        int slots = Math.max(0, limit - mission.inFlightTasks);
        if (slots == 0) {
            return 0;
        }
        List<Task> ready = readyTasks(mission, slots, now);
        for (Task task : ready) {
            dispatch(mission, task, now);
        }
        return ready.size();
    }

    /** Publishes a new attempt (epoch) of {@code task}, carrying the feedback on the previous one. */
    void dispatch(Mission mission, Task task, Instant now) {
        task.queue(mission, now, now.plus(config.deadlines().queued()));
        TaskAttempt attempt = new TaskAttempt();
        attempt.missionId = mission.id;
        attempt.taskId = task.taskId;
        attempt.attempt = task.attempt;
        attempt.status = TaskState.QUEUED.name();
        attempt.branch = GitBranches.task(mission.id, task.taskId, task.attempt);
        attempt.dispatchedAt = now;
        attempt.persist();
        publishAssignment(mission, task, attempt.branch);
        events.task(mission.id, MissionEvent.Kind.TASK_DISPATCHED, task.taskId, task.attempt, null);
        metrics.dispatched(task.kind);
    }

    /** Publishes the current attempt's assignment again: it was lost on the way, the task did nothing wrong. */
    void resendAssignment(Mission mission, Task task, Instant now) {
        task.requeue(mission, now.plus(config.deadlines().queued()));
        publishAssignment(mission, task, GitBranches.task(mission.id, task.taskId, task.attempt));
        metrics.redispatched("lost");
    }

    private void publishAssignment(Mission mission, Task task, String branch) {
        MissionSubmitted spec = mission.submitted();
        String role = task.kind == TaskKind.PLAN ? "planner" : "coder";
        outbox.publish(Topics.TASKS, task.taskId, new TaskAssignment(mission.id, task.taskId, task.attempt, task.kind,
                task.title, task.prompt, context(mission, task), Sizes.cut(task.feedback, Sizes.FEEDBACK), spec.repo(), branch,
                mission.integrationBranch, spec.modelFor(role), spec.limits().taskTimeoutSeconds(), task.declaredFiles()),
                Delivery.key(Topics.TASKS, mission.id, task.taskId, task.attempt));
    }

    /** Asks the reviewer about the current attempt: merge its commit (CODE) or validate its plan (PLAN). */
    void requestReview(Mission mission, Task task, TaskAttempt attempt, Instant now) {
        task.awaitReview(mission, now.plus(config.deadlines().review()));
        MissionSubmitted spec = mission.submitted();
        List<PlannedTask> plan = task.kind == TaskKind.PLAN ? attempt.plan() : null;
        ReviewRequest request = new ReviewRequest(mission.id, task.taskId, task.attempt,
                task.kind == TaskKind.PLAN ? ReviewRequest.Kind.PLAN : ReviewRequest.Kind.MERGE, spec.repo(),
                mission.integrationBranch, attempt.branch, attempt.commit, spec.verify(), spec.review(),
                spec.modelFor("reviewer"), task.title, task.prompt, task.declaredFiles(), plan);
        outbox.publish(Topics.REVIEWS, mission.id, request, Delivery.key(Topics.REVIEWS, mission.id, task.taskId, task.attempt));
    }

    /** Asks the reviewer to run the mission's checks on the final integration branch (a new seal epoch). */
    void requestSeal(Mission mission, Instant now) {
        mission.requestSeal(now.plus(config.deadlines().review()));
        publishSeal(mission);
    }

    /** The current seal request again: it or its verdict was lost. */
    void resendSeal(Mission mission, Instant now) {
        mission.sealDeadlineAt = now.plus(config.deadlines().review());
        publishSeal(mission);
        metrics.redispatched("lost");
    }

    private void publishSeal(Mission mission) {
        MissionSubmitted spec = mission.submitted();
        ReviewRequest request = new ReviewRequest(mission.id, SEAL_TASK_ID, mission.sealAttempt, ReviewRequest.Kind.SEAL,
                spec.repo(), mission.integrationBranch, null, null, spec.verify(), spec.review(), spec.modelFor("reviewer"),
                mission.title, null, List.of(), null);
        outbox.publish(Topics.REVIEWS, mission.id, request, Delivery.key(Topics.REVIEWS, mission.id, SEAL_TASK_ID, mission.sealAttempt));
    }

    /** Tells every worker to stop runs of {@code taskId} up to {@code attempt}: a newer attempt replaced them. */
    void stopSuperseded(Mission mission, Task task, int attempt, String reason) {
        outbox.publish(Topics.CONTROL, mission.id, new ControlCommand(mission.id, ControlCommand.Command.CANCEL, task.taskId,
                Sizes.cut(reason, Sizes.ERROR), Instant.now(), attempt));
    }

    /** Tells every worker to stop the mission's running work. */
    void cancelRunning(Mission mission, String reason) {
        outbox.publish(Topics.CONTROL, mission.id,
                new ControlCommand(mission.id, ControlCommand.Command.CANCEL, null, Sizes.cut(reason, Sizes.ERROR), Instant.now(), null));
    }

    /** The mission goal, what the task's finished dependencies did, and a person's guidance, within {@link Sizes#CONTEXT}. */
    private String context(Mission mission, Task task) {
        StringBuilder context = new StringBuilder("Mission goal:\n").append(Sizes.cut(mission.submitted().goal().strip(), Sizes.GOAL));
        List<String> deps = task.dependencyCount == 0 ? List.of() : TaskEdge.dependenciesOf(mission.id, task.taskId);
        if (!deps.isEmpty()) {
            List<Task> done = Task.list("missionId = ?1 and taskId in ?2 order by position", mission.id, deps);
            context.append("\n\nFinished tasks this one builds on:\n").append(done.stream()
                    .map(t -> "- " + t.taskId + " (" + t.title + "): " + (t.summary == null ? "done" : Sizes.cut(t.summary.strip(), 1_000)))
                    .collect(Collectors.joining("\n")));
        }
        if (mission.guidance != null) {
            context.append("\n\nGuidance from a person overseeing the mission:\n").append(Sizes.cut(mission.guidance.strip(), Sizes.GUIDANCE));
        }
        return Sizes.cut(context.toString(), Sizes.CONTEXT);
    }
}
