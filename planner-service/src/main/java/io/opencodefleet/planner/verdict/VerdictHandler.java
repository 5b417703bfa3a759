package io.opencodefleet.planner.verdict;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.ReviewPolicy.Intervene;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import io.opencodefleet.planner.mission.Mission;
import io.opencodefleet.planner.mission.MissionEvents;
import io.opencodefleet.planner.mission.MissionService;
import io.opencodefleet.planner.mission.MissionStatus;
import io.opencodefleet.planner.task.SpentUsage;
import io.opencodefleet.planner.task.Task;
import io.opencodefleet.planner.task.TaskAttempt;
import io.opencodefleet.planner.task.TaskDispatcher;
import io.opencodefleet.planner.task.TaskEdge;
import io.opencodefleet.planner.task.TaskState;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Applies the reviewer's verdicts: APPROVED → DONE and dependents released; REJECTED → the next attempt
 * with the feedback, until {@code maxAttempts}; then the task and mission fail. Verdicts for any attempt but
 * the task's current one are stale and ignored (attempt = fencing epoch), so redelivery is harmless.
 */
@ApplicationScoped
public class VerdictHandler {

    private static final Logger LOG = Logger.getLogger(VerdictHandler.class);

    @Inject
    TaskDispatcher dispatcher;

    @Inject
    MissionService missions;

    @Inject
    MissionEvents events;

    @Inject
    PlannerMetrics metrics;

    @Incoming("verdicts")
    @Blocking
    public void onRecord(String json) {
        ReviewVerdict verdict;
        try {
            verdict = MessageCodec.decode(json, ReviewVerdict.class);
        } catch (InvalidMessageException e) {
            metrics.deadLettered(Topics.VERDICTS);
            throw e;
        }
        apply(verdict);
    }

    @Transactional
    public void apply(ReviewVerdict verdict) {
        Mission mission = Mission.lock(verdict.missionId()).orElse(null);
        if (mission == null || mission.status.isFinished()) {
            LOG.debugf("Verdict for %s/%s ignored: mission unknown or finished", verdict.missionId(), verdict.taskId());
            return;
        }
        if (TaskDispatcher.SEAL_TASK_ID.equals(verdict.taskId())) {
            applySeal(mission, verdict);
            return;
        }
        Task task = Task.find(mission.id, verdict.taskId()).orElse(null);
        if (task == null || task.attempt != verdict.attempt() || !task.status.isInFlight()) {
            LOG.debugf("Stale verdict for %s/%s attempt %d ignored", verdict.missionId(), verdict.taskId(), verdict.attempt());
            return;
        }
        Instant now = Instant.now();
        Usage usage = (verdict.result() == null ? Usage.ZERO : verdict.result().usage()).plus(verdict.reviewUsage());
        task.spent.add(usage);
        mission.spent.add(usage);
        mission.updatedAt = now;
        recordAttempt(verdict, now);
        boolean approved = verdict.verdict() == Verdict.APPROVED;
        boolean spent = !approved && task.attempt >= mission.submitted().limits().maxAttempts();
        metrics.taskFinished(task.kind, approved ? "succeeded" : spent ? "failed" : "rejected",
                verdict.result() == null ? 0 : verdict.result().durationMs(), usage);

        if (approved) {
            approve(mission, task, verdict, now);
            return;
        }
        String feedback = verdict.feedback() == null || verdict.feedback().isBlank() ? "the reviewer rejected the change" : verdict.feedback();
        events.task(mission.id, MissionEvent.Kind.TASK_REJECTED, task.taskId, task.attempt, feedback);
        task.feedback = feedback;
        if (!spent) {
            task.status = TaskState.PENDING;
            missions.advance(mission, false);
            return;
        }
        task.status = TaskState.FAILED;
        task.finishedAt = now;
        String reason = "task " + task.taskId + " failed after " + task.attempt + " attempts: " + feedback;
        events.task(mission.id, MissionEvent.Kind.TASK_FAILED, task.taskId, task.attempt, "attempts spent (" + task.attempt + "): " + feedback);
        if (mission.submitted().review().pausesOn(Intervene.ON_ERROR)) {
            missions.pause(mission, reason);
        } else {
            missions.finish(mission, MissionStatus.FAILED, reason);
        }
    }

    /** DONE: a plan expands into tasks, code releases its dependents; warnings pause an on-warning mission. */
    private void approve(Mission mission, Task task, ReviewVerdict verdict, Instant now) {
        task.status = TaskState.DONE;
        task.finishedAt = now;
        task.mergedCommit = verdict.mergedCommit();
        task.summary = verdict.result() == null ? null : verdict.result().summary();
        events.task(mission.id, MissionEvent.Kind.TASK_SUCCEEDED, task.taskId, task.attempt, verdict.mergedCommit());
        if (task.kind == TaskKind.PLAN) {
            missions.expandPlan(mission, verdict.result().plan());
        } else {
            List<String> dependents = TaskEdge.dependentsOf(mission.id, task.taskId);
            if (!dependents.isEmpty()) {
                Task.update("pendingDeps = pendingDeps - 1 where missionId = ?1 and taskId in ?2", mission.id, dependents);
            }
        }
        if (!verdict.warnings().isEmpty() && mission.submitted().review().pausesOn(Intervene.ON_WARNING)) {
            missions.pause(mission, "warning on task " + task.taskId + ": " + String.join("; ", verdict.warnings()));
        }
        if (Task.count("missionId = ?1 and status <> ?2", mission.id, TaskState.DONE) == 0) {
            dispatcher.requestSeal(mission);
        } else {
            missions.advance(mission, false);
        }
    }

    private void applySeal(Mission mission, ReviewVerdict verdict) {
        if (verdict.verdict() == Verdict.APPROVED) {
            mission.mergedCommit = verdict.mergedCommit();
            missions.finish(mission, MissionStatus.SEALED, "verified at " + verdict.mergedCommit());
        } else {
            missions.finish(mission, MissionStatus.FAILED, "final verification failed: " + verdict.feedback());
        }
    }

    private void recordAttempt(ReviewVerdict verdict, Instant now) {
        TaskAttempt attempt = TaskAttempt.find(verdict.missionId(), verdict.taskId(), verdict.attempt()).orElseGet(() -> {
            TaskAttempt created = new TaskAttempt();
            created.missionId = verdict.missionId();
            created.taskId = verdict.taskId();
            created.attempt = verdict.attempt();
            created.dispatchedAt = now;
            created.persist();
            return created;
        });
        attempt.verdict = verdict.verdict().name();
        attempt.feedback = verdict.feedback();
        attempt.mergedCommit = verdict.mergedCommit();
        attempt.checks = FleetJson.write(verdict.checks());
        attempt.finishedAt = now;
        TaskResult result = verdict.result();
        if (result != null) {
            attempt.status = result.status().name();
            attempt.commit = result.commit();
            attempt.summary = result.summary();
            attempt.changedFiles = FleetJson.write(result.changedFiles());
            attempt.workerId = result.workerId();
            attempt.opencodeSession = result.opencodeSessionId();
            attempt.spent = new SpentUsage();
            attempt.spent.add(result.usage());
            attempt.durationMs = result.durationMs();
        }
    }
}
