package io.opencodefleet.planner.mission;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.Limits;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.RepoUrls;
import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.plan.PlanValidator;
import io.opencodefleet.common.plan.TaskGraph;
import io.opencodefleet.planner.PlannerConfig;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import io.opencodefleet.planner.outbox.Delivery;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import io.opencodefleet.common.prompt.Prompts;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hibernate.exception.ConstraintViolationException;
import org.jboss.logging.Logger;

/**
 * A mission's lifecycle: accept (idempotently), plan, advance within budget and policy, pause and resume,
 * retry, cancel, fail, seal. Callers of the MANDATORY methods hold the mission's row lock.
 */
@ApplicationScoped
public class MissionService {

    private static final Logger LOG = Logger.getLogger(MissionService.class);
    /** The planning task of a mission without a plan (a valid plan id never starts with '_'). */
    public static final String PLAN_TASK_ID = "_plan";

    @Inject
    EntityManager em;

    @Inject
    TaskDispatcher dispatcher;

    @Inject
    MissionEvents events;

    @Inject
    PlannerMetrics metrics;

    @Inject
    PlannerConfig config;

    /**
     * Accepts a mission: validates it (with this deployment's repository schemes) and stores mission, tasks and
     * edges (or, without a plan, one planning task) and dispatches the ready tasks, all in one transaction. The
     * same missionId twice returns the first mission unchanged.
     */
    @Transactional
    public Mission submit(MissionSubmitted submitted) {
        MessageCodec.validate(submitted);
        String scheme = RepoUrls.scheme(submitted.repo().url());
        if (!config.repo().allowedSchemes().contains(scheme)) {
            throw new InvalidMessageException("repo.url: scheme '" + scheme + "' is not allowed here (fleet.repo.allowed-schemes="
                    + String.join(",", config.repo().allowedSchemes()) + ")");
        }
        String id = submitted.missionId() != null ? submitted.missionId() : newMissionId();
        MissionSubmitted spec = submitted.withMissionId(id);
        Optional<Mission> existing = Mission.<Mission>findByIdOptional(id);
        if (existing.isPresent()) {
            LOG.debugf("Mission %s submitted again; keeping the first", id);
            return existing.get();
        }
        boolean planned = spec.plan() != null && !spec.plan().isEmpty();
        TaskGraph graph = planned ? new PlanValidator(config.maxPlanTasks()).validate(spec.plan()) : null;

        Instant now = Instant.now();
        Mission mission = new Mission();
        mission.id = id;
        mission.title = spec.title();
        mission.status = planned ? MissionStatus.RUNNING : MissionStatus.PLANNING;
        mission.setSubmitted(spec);
        mission.integrationBranch = GitBranches.integration(id);
        mission.createdAt = now;
        mission.updatedAt = now;
        try {
            mission.persist();
            em.flush();
        } catch (ConstraintViolationException e) {
            // A concurrent submit of the same id won the insert; that one is the mission.
            throw new DuplicateMissionException(id);
        }
        events.mission(id, MissionEvent.Kind.SUBMITTED, spec.title());
        if (planned) {
            storeTasks(mission, graph, 0);
            events.mission(id, MissionEvent.Kind.PLANNED, graph.size() + " tasks");
        } else {
            Task.add(mission, PLAN_TASK_ID, 0, TaskKind.PLAN, "Plan the mission", planningPrompt(spec), null, 0, 0);
        }
        advance(mission, false, now);
        LOG.infof("Mission %s accepted: %s", id, planned ? graph.size() + " tasks" : "planning by agent");
        return mission;
    }

    /** Stores an approved plan's tasks behind the planning task; the mission runs them. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void expandPlan(Mission mission, TaskGraph graph) {
        storeTasks(mission, graph, mission.taskCount);
        if (mission.status == MissionStatus.PLANNING) {
            mission.moveTo(MissionStatus.RUNNING, null, Instant.now());
        }
        events.mission(mission.id, MissionEvent.Kind.PLANNED, graph.size() + " tasks planned by the agent");
    }

    /**
     * Moves an active mission on: when its budget is spent it fails (or pauses, when a person may decide); when
     * every task is done it asks for the final check; else it dispatches what is ready, unless its policy is
     * {@code always} and no person approved this step. A paused or finished mission does not move.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void advance(Mission mission, boolean approvedByPerson, Instant now) {
        if (!mission.status.isActive() || mission.sealRequested()) {
            return;
        }
        String spent = budgetSpent(mission);
        if (spent != null) {
            giveUp(mission, spent);
            return;
        }
        if (mission.status == MissionStatus.RUNNING && mission.remainingTasks == 0) {
            dispatcher.requestSeal(mission, now);
            return;
        }
        if (!approvedByPerson && AttemptPolicy.asksBeforeDispatch(mission.submitted().review())) {
            List<Task> ready = dispatcher.readyTasks(mission, 20, now);
            if (!ready.isEmpty()) {
                pause(mission, "waiting for approval to dispatch " + ready.stream().map(t -> t.taskId).collect(Collectors.joining(", ")));
            }
            return;
        }
        dispatcher.dispatchReady(mission, now);
    }

    /**
     * Moves the mission on once if anything in this transaction asked for it (a task finished, or another attempt
     * is due): a batch of many verdicts for one mission dispatches once, at its end.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void settle(Mission mission, Instant now) {
        if (mission.advanceDue) {
            mission.advanceDue = false;
            advance(mission, false, now);
        }
    }

    /** A task or the final check gave up, or the budget is spent: pause for a person, or fail. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void giveUp(Mission mission, String reason) {
        if (AttemptPolicy.onGiveUp(mission.submitted().review()) == AttemptPolicy.MissionResponse.PAUSE) {
            pause(mission, reason);
        } else {
            finish(mission, MissionStatus.FAILED, reason);
        }
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void pause(Mission mission, String reason) {
        mission.moveTo(MissionStatus.PAUSED, reason, Instant.now());
        mission.sealDeadlineAt = null;
        events.mission(mission.id, MissionEvent.Kind.PAUSED, reason);
        LOG.infof("Mission %s paused: %s", mission.id, reason);
    }

    /**
     * Resumes a paused mission: failed tasks get another set of attempts, {@code guidance} goes into the
     * context of every later attempt, and ready tasks are dispatched (this counts as a person's approval).
     */
    @Transactional
    public Mission resume(String missionId, String guidance) {
        Mission mission = Mission.lock(missionId).orElseThrow(() -> new MissionNotFoundException(missionId));
        if (mission.status != MissionStatus.PAUSED) {
            throw new MissionStateException("mission " + missionId + " is " + mission.status + ", not PAUSED: only a paused mission resumes");
        }
        if (guidance != null && !guidance.isBlank()) {
            String all = mission.guidance == null ? guidance.strip() : mission.guidance + "\n" + guidance.strip();
            if (all.length() > Sizes.GUIDANCE) {
                throw new InvalidMessageException("guidance: the mission's guidance would exceed " + Sizes.GUIDANCE + " characters");
            }
            mission.guidance = all;
        }
        boolean planning = Task.count("missionId = ?1 and kind = ?2 and status <> ?3", mission.id, TaskKind.PLAN, TaskState.DONE) > 0;
        Instant now = Instant.now();
        mission.moveTo(planning ? MissionStatus.PLANNING : MissionStatus.RUNNING, null, now);
        events.mission(missionId, MissionEvent.Kind.RESUMED, guidance);
        for (Task failed : Task.<Task>list("missionId = ?1 and status = ?2", missionId, TaskState.FAILED)) {
            failed.reopen(mission);
        }
        advance(mission, true, now);
        return mission;
    }

    /** Gives a failed or cancelled task another set of attempts; a mission paused on it runs again. */
    @Transactional
    public Mission retry(String missionId, String taskId) {
        Mission mission = Mission.lock(missionId).orElseThrow(() -> new MissionNotFoundException(missionId));
        if (mission.status.isFinished()) {
            throw new MissionStateException("mission " + missionId + " is " + mission.status + ": its tasks cannot be retried");
        }
        Task task = Task.find(missionId, taskId).orElseThrow(() -> new MissionNotFoundException(missionId + "/" + taskId));
        if (task.status != TaskState.FAILED && task.status != TaskState.CANCELLED) {
            throw new MissionStateException("task " + taskId + " is " + task.status + ": only a FAILED or CANCELLED task is retried");
        }
        task.reopen(mission);
        Instant now = Instant.now();
        if (mission.status == MissionStatus.PAUSED) {
            mission.moveTo(task.kind == TaskKind.PLAN ? MissionStatus.PLANNING : MissionStatus.RUNNING, null, now);
            events.mission(missionId, MissionEvent.Kind.RESUMED, "retry of task " + taskId);
        }
        advance(mission, true, now);
        return mission;
    }

    /** Cancels a mission that has not finished: its open tasks are cancelled and workers told to stop. */
    @Transactional
    public Optional<Mission> cancel(String missionId, String reason) {
        return Mission.lock(missionId).map(mission -> {
            if (!mission.status.isFinished()) {
                finish(mission, MissionStatus.CANCELLED, reason == null ? "cancelled by request" : reason);
            }
            return mission;
        });
    }

    /** Ends a mission: unfinished tasks are cancelled, running work is told to stop, and the outcome is published. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void finish(Mission mission, MissionStatus outcome, String reason) {
        Instant now = Instant.now();
        mission.moveTo(outcome, reason, now);
        if (outcome != MissionStatus.SEALED) {
            boolean running = false;
            for (Task open : Task.<Task>list("missionId = ?1 and status not in ?2", mission.id, TaskState.FINISHED)) {
                running |= open.status.isInFlight();
                open.cancel(mission, now);
            }
            if (running) {
                dispatcher.cancelRunning(mission, reason);
            }
        }
        Delivery.forgetMission(mission.id);
        MissionEvent.Kind kind = switch (outcome) {
            case SEALED -> MissionEvent.Kind.SEALED;
            case CANCELLED -> MissionEvent.Kind.CANCELLED;
            default -> MissionEvent.Kind.FAILED;
        };
        events.mission(mission.id, kind, reason);
        metrics.missionFinished(outcome.name());
        LOG.infof("Mission %s %s: %s", mission.id, outcome, reason);
    }

    private void storeTasks(Mission mission, TaskGraph graph, int firstPosition) {
        Map<String, Integer> dependents = new java.util.HashMap<>();
        graph.tasks().forEach(planned -> planned.dependsOn().forEach(dep -> dependents.merge(dep, 1, Integer::sum)));
        int position = firstPosition;
        for (PlannedTask planned : graph.tasks()) {
            Task.add(mission, planned.id(), position++, TaskKind.CODE, planned.title(), planned.prompt(),
                    planned.files().isEmpty() ? null : FleetJson.write(planned.files()), planned.dependsOn().size(),
                    dependents.getOrDefault(planned.id(), 0));
            for (String dep : planned.dependsOn()) {
                TaskEdge.of(mission.id, planned.id(), dep).persist();
            }
        }
        em.flush(); // the edges' queries do not flush (TaskEdge): they must find these rows in this transaction too
    }

    private static String budgetSpent(Mission mission) {
        Limits limits = mission.submitted().limits();
        if (limits.budgetTokens() != null && mission.usage().totalTokens() >= limits.budgetTokens()) {
            return "budget spent: " + mission.usage().totalTokens() + " tokens used of " + limits.budgetTokens();
        }
        if (limits.budgetUsd() != null && mission.usage().costUsd() >= limits.budgetUsd()) {
            return String.format("budget spent: $%.4f used of $%.4f", mission.usage().costUsd(), limits.budgetUsd());
        }
        return null;
    }

    /** What the planning agent is asked: the plan as JSON, in a shape the reviewer validates. */
    private String planningPrompt(MissionSubmitted spec) {
        return Prompts.render("planning", Map.of("goal", spec.goal().strip(), "maxTasks", Math.min(config.maxPlanTasks(), 50)));
    }

    private static String newMissionId() {
        return "m-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Thrown when a concurrent submit stored the same mission id first; the caller re-reads that mission. */
    public static class DuplicateMissionException extends RuntimeException {
        public final String missionId;

        DuplicateMissionException(String missionId) {
            super("mission " + missionId + " was stored concurrently");
            this.missionId = missionId;
        }
    }
}
