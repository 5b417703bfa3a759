package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.ErrorInfo;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskProgress;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.common.plan.PlanValidator;
import io.opencodefleet.common.redact.Redactor;
import io.opencodefleet.common.plan.TaskGraph;
import io.opencodefleet.planner.PlannerConfig;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.hibernate.FlushMode;
import org.hibernate.jpa.HibernateHints;
import org.jboss.logging.Logger;

/**
 * Where a task's attempt goes once the fleet hears of it: a heartbeat starts it, a result sends it to review (the
 * planner fences the result first: only the current attempt of a task of a live mission), a verdict makes it
 * DONE or another attempt, and every fault goes through the {@link AttemptPolicy}. The deadline reconciler
 * calls the same methods for what never arrived. Every method runs under the mission's row lock; what lets the
 * mission move on marks it ({@code advanceDue}) and the transaction's owner settles it once at the end.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class TaskLifecycle {

    private static final Logger LOG = Logger.getLogger(TaskLifecycle.class);
    /** A plan larger than this (JSON characters) cannot travel in a review request. */
    static final int MAX_PLAN_CHARS = 600_000;

    @Inject
    MissionService missions;

    @Inject
    TaskDispatcher dispatcher;

    @Inject
    MissionEvents events;

    @Inject
    PlannerMetrics metrics;

    @Inject
    PlannerConfig config;

    @Inject
    Redactor redactor;

    private AttemptPolicy policy;

    AttemptPolicy policy() {
        if (policy == null) {
            policy = new AttemptPolicy(config.retries().maxRedispatches(), config.retries().firstBackoff(), config.retries().maxBackoff());
        }
        return policy;
    }

    /** A heartbeat of the current attempt starts it (once) and renews its lease; a superseded run is told again to stop. */
    public void heartbeat(Mission mission, Task task, TaskProgress progress, Instant now) {
        if (progress.attempt() < task.attempt && task.attempt > 0) {
            dispatcher.stopSuperseded(mission, task, progress.attempt(), "attempt " + task.attempt + " replaced it");
            return;
        }
        if (task.attempt != progress.attempt() || (task.status != TaskState.QUEUED && task.status != TaskState.RUNNING)) {
            return;
        }
        if (task.status == TaskState.QUEUED) {
            markStarted(mission, task, progress.at() != null && progress.at().isBefore(now) ? progress.at() : now, progress.workerId());
        }
        // The lease lives in PostgreSQL at a coarser grain than heartbeats arrive: one row write per sixth of a lease.
        if (task.lastHeartbeatAt == null || !task.lastHeartbeatAt.isAfter(now.minus(config.lease().dividedBy(6)))) {
            task.lastHeartbeatAt = now;
        }
        task.workerId = progress.workerId();
        if (progress.opencodeSessionId() != null) {
            task.opencodeSession = progress.opencodeSessionId();
            task.opencodeUrl = progress.opencodeUrl();
        }
    }

    /**
     * A worker's result. Its usage counts once per attempt, whatever the attempt; only the current attempt of a
     * task still waiting for it moves on: to review, or through the attempt policy when it failed.
     */
    public void result(Mission mission, Task task, TaskResult result, Instant now) {
        TaskAttempt attempt = TaskAttempt.find(mission.id, task.taskId, result.attempt()).orElse(null);
        if (attempt == null) {
            LOG.debugf("Result of %s/%s attempt %d ignored: never dispatched", mission.id, task.taskId, result.attempt());
            return;
        }
        boolean first = attempt.resultAt == null;
        if (first) {
            recordResult(mission, task, attempt, result, now);
        }
        if (task.attempt != result.attempt() || (task.status != TaskState.QUEUED && task.status != TaskState.RUNNING)) {
            LOG.debugf("Result of %s/%s attempt %d is stale or repeated; the task is %s at attempt %d",
                    mission.id, task.taskId, result.attempt(), task.status, task.attempt);
            return;
        }
        if (task.status == TaskState.QUEUED) {
            // The result overtook the first heartbeat: the task did start.
            markStarted(mission, task, now.minusMillis(Math.min(result.durationMs(), Duration.ofDays(1).toMillis())), result.workerId());
        }
        String why = result.error() != null && result.error().message() != null ? result.error().message() : "no reason given";
        switch (result.status()) {
            case SUCCEEDED -> reviewOrReject(mission, task, attempt, result, now);
            case TIMED_OUT -> fault(mission, task, Fault.agent("the attempt timed out: " + why,
                    "The previous attempt ran out of time (" + why + "). Work in smaller steps and finish within the time."), now);
            case FAILED -> fault(mission, task, result.error() != null && !result.error().agentsFault()
                    ? Fault.infrastructure("attempt " + task.attempt + " failed on the worker: " + why)
                    : Fault.agent("the attempt failed: " + why, "The previous attempt ended FAILED: " + why), now);
            case RELEASED -> fault(mission, task, Fault.released("worker " + result.workerId() + " handed it back: " + why), now);
            case CANCELLED -> fault(mission, task, Fault.infrastructure("attempt " + task.attempt + " was cancelled on the worker: " + why), now);
        }
    }

    private void reviewOrReject(Mission mission, Task task, TaskAttempt attempt, TaskResult result, Instant now) {
        if (task.kind == TaskKind.PLAN) {
            if (attempt.planJson == null) {
                String why = result.error() != null ? result.error().message() : "no plan in the result";
                fault(mission, task, Fault.agent("no plan: " + why, "No plan could be read from your final message: " + why), now);
            } else if (attempt.planJson.length() > MAX_PLAN_CHARS) {
                fault(mission, task, Fault.agent("the plan is too large", "The plan is too large (" + attempt.planJson.length()
                        + " characters of JSON; at most " + MAX_PLAN_CHARS + "). Plan fewer, larger tasks with shorter prompts."), now);
            } else {
                dispatcher.requestReview(mission, task, attempt, now);
            }
        } else if (result.commit() == null || result.branch() == null) {
            fault(mission, task, Fault.agent("no change", "The previous attempt committed no change. Make the change the task asks for;"
                    + " finishing without one is not done."), now);
        } else {
            dispatcher.requestReview(mission, task, attempt, now);
        }
    }

    /** The reviewer's verdict on the current attempt: APPROVED → DONE, REJECTED → the agent's fault, ERROR → the fleet's. */
    public void verdict(Mission mission, Task task, ReviewVerdict verdict, Instant now) {
        if (task.status != TaskState.REVIEWING || task.attempt != verdict.attempt()) {
            LOG.debugf("Stale verdict for %s/%s attempt %d ignored", mission.id, task.taskId, verdict.attempt());
            return;
        }
        TaskAttempt attempt = TaskAttempt.find(mission.id, task.taskId, verdict.attempt()).orElseThrow();
        attempt.verdict = verdict.verdict().name();
        attempt.feedback = Sizes.cut(redactor.redact(verdict.feedback()), Sizes.FEEDBACK + Sizes.CHECK_OUTPUT);
        attempt.mergedCommit = verdict.mergedCommit();
        attempt.checks = FleetJson.write(verdict.checks());
        attempt.finishedAt = now;
        spend(mission, task, attempt, verdict.reviewUsage());
        switch (verdict.verdict()) {
            case APPROVED -> approve(mission, task, attempt, verdict, now);
            case REJECTED -> {
                String feedback = verdict.feedback() == null || verdict.feedback().isBlank() ? "the reviewer rejected the change" : verdict.feedback();
                fault(mission, task, Fault.agent(feedback, feedback), now);
            }
            case ERROR -> fault(mission, task, Fault.infrastructure("the review could not run: " + verdict.feedback()), now);
        }
    }

    /** The verdict on the final check: SEALED, or the mission gives up (pauses or fails); ERROR asks again later. */
    public void sealVerdict(Mission mission, ReviewVerdict verdict, Instant now) {
        if (!mission.sealRequested() || verdict.attempt() != mission.sealAttempt) {
            LOG.debugf("Stale seal verdict for %s (epoch %d, current %d) ignored", mission.id, verdict.attempt(), mission.sealAttempt);
            return;
        }
        mission.spent.add(verdict.reviewUsage() == null ? Usage.ZERO : verdict.reviewUsage());
        metrics.spent(verdict.reviewUsage());
        if (verdict.verdict() == Verdict.APPROVED) {
            mission.mergedCommit = verdict.mergedCommit();
            missions.finish(mission, MissionStatus.SEALED, "verified at " + verdict.mergedCommit());
        } else if (verdict.verdict() == Verdict.REJECTED) {
            mission.sealDeadlineAt = null;
            missions.giveUp(mission, "final verification failed: " + verdict.feedback());
        } else if (mission.sealErrors >= config.retries().maxRedispatches()) {
            mission.sealDeadlineAt = null;
            missions.giveUp(mission, "the final verification could not run: " + verdict.feedback());
        } else {
            // The reviewer retried what was transient before it answered ERROR: ask once more, within the bound.
            mission.sealErrors += 1;
            metrics.redispatched("infrastructure");
            LOG.warnf("Seal of %s could not run (%s); asking again", mission.id, verdict.feedback());
            dispatcher.requestSeal(mission, now);
        }
    }

    private void approve(Mission mission, Task task, TaskAttempt attempt, ReviewVerdict verdict, Instant now) {
        TaskGraph plan = null;
        if (task.kind == TaskKind.PLAN) {
            try {
                plan = new PlanValidator(config.maxPlanTasks()).validate(attempt.plan());
            } catch (InvalidMessageException e) {
                // The reviewer approved a plan the planner cannot store: still the planning agent's work to fix.
                fault(mission, task, Fault.agent("invalid plan", "The plan was rejected:\n- " + String.join("\n- ", e.problems())), now);
                return;
            }
        }
        attempt.status = TaskState.DONE.name();
        task.done(mission, now, verdict.mergedCommit(), attempt.summary);
        metrics.taskOutcome(task.kind, "succeeded", attempt.durationMs == null ? 0 : attempt.durationMs);
        events.task(mission.id, MissionEvent.Kind.TASK_SUCCEEDED, task.taskId, task.attempt, verdict.mergedCommit());
        if (plan != null) {
            missions.expandPlan(mission, plan);
        } else if (task.dependentCount > 0) {
            List<String> dependents = TaskEdge.dependentsOf(mission.id, task.taskId);
            if (!dependents.isEmpty()) {
                // Through the entities, not a bulk update: a dependent already loaded in this transaction stays true.
                // No flush first: the rows are chosen by ids that never change, and loaded ones come from the session.
                Task.<Task>find("missionId = ?1 and taskId in ?2", mission.id, dependents)
                        .withHint(HibernateHints.HINT_FLUSH_MODE, FlushMode.COMMIT).list().forEach(dependent -> dependent.pendingDeps -= 1);
            }
        }
        if (!verdict.warnings().isEmpty() && AttemptPolicy.pausesOnWarnings(mission.submitted().review()) && mission.status.isActive()) {
            missions.pause(mission, "warning on task " + task.taskId + ": " + String.join("; ", verdict.warnings()));
        }
        mission.advanceDue = true;
    }

    /**
     * The current attempt failed: the policy decides whether another attempt follows (charged to the task only
     * when the agent's own work failed) or the task gives up, and then whether the mission pauses or fails.
     */
    public void fault(Mission mission, Task task, Fault fault, Instant now) {
        AttemptPolicy.Decision decision = policy().onFault(fault, task.chargedAttempts, task.redispatches,
                mission.submitted().limits().maxAttempts(), task.taskId);
        TaskAttempt.find(mission.id, task.taskId, task.attempt).ifPresent(attempt -> {
            attempt.status = fault.charged() ? "REJECTED" : "SUPERSEDED";
            attempt.finishedAt = attempt.finishedAt == null ? now : attempt.finishedAt;
            if (attempt.errorKind == null) {
                attempt.errorKind = fault.kind().name().toLowerCase(Locale.ROOT);
                attempt.error = Sizes.cut(fault.reason(), Sizes.ERROR);
            }
        });
        long durationMs = task.startedAt == null ? 0 : Duration.between(task.startedAt, now).toMillis();
        String detail = fault.charged() ? (fault.feedback() != null ? fault.feedback() : fault.reason())
                : "not counted as an attempt: " + fault.reason();
        events.task(mission.id, MissionEvent.Kind.TASK_REJECTED, task.taskId, task.attempt, detail);
        if (fault.charged()) {
            metrics.taskOutcome(task.kind, decision.retries() ? "rejected" : "failed", durationMs);
        } else {
            metrics.redispatched(fault.kind() == Fault.Kind.RELEASED ? "released" : "infrastructure");
        }
        if (decision.retries()) {
            task.retry(mission, fault.charged(), fault.feedback(), decision.delay().isZero() ? null : now.plus(decision.delay()));
            mission.advanceDue = true;
            return;
        }
        task.fail(mission, now, fault.charged());
        if (fault.feedback() != null) {
            task.feedback = fault.feedback();
        }
        events.task(mission.id, MissionEvent.Kind.TASK_FAILED, task.taskId, task.attempt, decision.reason());
        LOG.infof("Task %s/%s gave up: %s", mission.id, task.taskId, decision.reason());
        missions.giveUp(mission, decision.reason());
    }

    /** A RUNNING task's heartbeats stopped: its worker is gone or cut off. A new attempt fences the old one, which is told to stop. */
    public void leaseExpired(Mission mission, Task task, Instant now) {
        String reason = "lease expired: worker " + task.workerId + " sent no heartbeat for " + config.lease().toSeconds() + "s";
        LOG.warnf("Task %s/%s attempt %d: %s", mission.id, task.taskId, task.attempt, reason);
        metrics.leaseExpired();
        dispatcher.stopSuperseded(mission, task, task.attempt, reason);
        fault(mission, task, Fault.infrastructure(reason), now);
    }

    /** The assignment of a QUEUED task was lost (or consumed without a word): the same attempt goes out again. */
    public void assignmentLost(Mission mission, Task task, Instant now) {
        if (task.redispatches >= config.retries().maxRedispatches()) {
            fault(mission, task, Fault.infrastructure("its assignment kept getting lost"), now);
            return;
        }
        task.redispatches += 1;
        LOG.warnf("Task %s/%s attempt %d: assignment lost; sending it again", mission.id, task.taskId, task.attempt);
        dispatcher.resendAssignment(mission, task, now);
    }

    /** The review request (or its verdict) of a REVIEWING task was lost: the same request goes out again. */
    public void reviewLost(Mission mission, Task task, Instant now) {
        if (task.redispatches >= config.retries().maxRedispatches()) {
            fault(mission, task, Fault.infrastructure("its review request kept getting lost"), now);
            return;
        }
        task.redispatches += 1;
        LOG.warnf("Task %s/%s attempt %d: review request or verdict lost; asking again", mission.id, task.taskId, task.attempt);
        TaskAttempt attempt = TaskAttempt.find(mission.id, task.taskId, task.attempt).orElseThrow();
        dispatcher.requestReview(mission, task, attempt, now);
        metrics.redispatched("lost");
    }

    /** The seal request (or its verdict) was lost: the same request goes out again. */
    public void sealLost(Mission mission, Instant now) {
        if (mission.sealErrors >= config.retries().maxRedispatches()) {
            mission.sealDeadlineAt = null;
            missions.giveUp(mission, "the final verification request kept getting lost");
            return;
        }
        mission.sealErrors += 1;
        LOG.warnf("Mission %s: seal request or verdict lost; asking again", mission.id);
        dispatcher.resendSeal(mission, now);
    }

    /** The broker refused a message the task waits on, for good (see the outbox's parked rows). */
    public void deliveryRefused(Mission mission, Task task, String reason, Instant now) {
        fault(mission, task, Fault.infrastructure("a message about it could not be published: " + reason), now);
    }

    private void markStarted(Mission mission, Task task, Instant at, String workerId) {
        task.start(mission, at, workerId);
        if (task.dispatchedAt != null) {
            metrics.started(Duration.between(task.dispatchedAt, at).abs());
        }
        events.task(task.missionId, MissionEvent.Kind.TASK_STARTED, task.taskId, task.attempt, workerId);
    }

    private void recordResult(Mission mission, Task task, TaskAttempt attempt, TaskResult result, Instant now) {
        attempt.resultAt = now;
        attempt.status = result.status().name();
        attempt.commit = result.commit();
        attempt.summary = Sizes.cut(redactor.redact(result.summary()), Sizes.SUMMARY);
        attempt.changedFiles = FleetJson.write(result.changedFiles());
        attempt.workerId = result.workerId();
        attempt.opencodeSession = result.opencodeSessionId();
        attempt.durationMs = result.durationMs();
        if (result.plan() != null && result.status() == TaskStatus.SUCCEEDED) {
            attempt.planJson = FleetJson.write(result.plan());
        }
        ErrorInfo error = result.error();
        if (error != null) {
            attempt.errorKind = error.kind();
            attempt.error = Sizes.cut(redactor.redact(error.message()), Sizes.ERROR);
        }
        spend(mission, task, attempt, result.usage());
    }

    private void spend(Mission mission, Task task, TaskAttempt attempt, Usage usage) {
        if (usage == null) {
            return;
        }
        attempt.spent.add(usage);
        task.spent.add(usage);
        mission.spent.add(usage);
        metrics.spent(usage);
    }
}
