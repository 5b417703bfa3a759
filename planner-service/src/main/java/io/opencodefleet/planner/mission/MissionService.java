package io.opencodefleet.planner.mission;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.Limits;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.ReviewPolicy.Intervene;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.plan.PlanValidator;
import io.opencodefleet.common.plan.TaskGraph;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import io.opencodefleet.planner.task.Task;
import io.opencodefleet.planner.task.TaskDispatcher;
import io.opencodefleet.planner.task.TaskEdge;
import io.opencodefleet.planner.task.TaskState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hibernate.exception.ConstraintViolationException;
import org.jboss.logging.Logger;

/**
 * Mission intake and lifecycle: accept (idempotently), plan, advance within budget and policy, pause and
 * resume, retry, cancel, fail, seal. Callers of the MANDATORY methods hold the mission's row lock.
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

    @ConfigProperty(name = "fleet.max-plan-tasks", defaultValue = "10000")
    int maxPlanTasks;

    /**
     * Accepts a mission: validates it and stores mission, tasks and edges (or, without a plan, one planning
     * task) and dispatches the ready tasks, all in one transaction. The same missionId twice returns the first
     * mission unchanged.
     */
    @Transactional
    public Mission submit(MissionSubmitted submitted) {
        MessageCodec.validate(submitted);
        String id = submitted.missionId() != null ? submitted.missionId() : newMissionId();
        MissionSubmitted spec = submitted.withMissionId(id);
        Optional<Mission> existing = Mission.<Mission>findByIdOptional(id);
        if (existing.isPresent()) {
            LOG.debugf("Mission %s submitted again; keeping the first", id);
            return existing.get();
        }
        boolean planned = spec.plan() != null && !spec.plan().isEmpty();
        TaskGraph graph = planned ? new PlanValidator(maxPlanTasks).validate(spec.plan()) : null;

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
            Task plan = newTask(mission, PLAN_TASK_ID, 0, TaskKind.PLAN, "Plan the mission", planningPrompt(spec), List.of());
            plan.persist();
        }
        advance(mission, false);
        LOG.infof("Mission %s accepted: %s", id, planned ? graph.size() + " tasks" : "planning by agent");
        return mission;
    }

    /** Stores an approved plan's tasks behind the planning task and starts the mission's work. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void expandPlan(Mission mission, List<PlannedTask> plan) {
        TaskGraph graph = new PlanValidator(maxPlanTasks).validate(plan);
        int first = (int) Task.count("missionId", mission.id);
        storeTasks(mission, graph, first);
        mission.status = MissionStatus.RUNNING;
        events.mission(mission.id, MissionEvent.Kind.PLANNED, graph.size() + " tasks planned by the agent");
    }

    /**
     * Moves the mission on: dispatches ready tasks unless it is not running, its budget is spent (FAILED, or
     * PAUSED when a person may intervene), or its policy is {@code always} and no person approved this step.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void advance(Mission mission, boolean approvedByPerson) {
        if (mission.status != MissionStatus.RUNNING && mission.status != MissionStatus.PLANNING) {
            return;
        }
        em.flush();
        String spent = budgetSpent(mission);
        if (spent != null) {
            if (mission.submitted().review().pausesOn(Intervene.ON_ERROR)) {
                pause(mission, spent);
            } else {
                finish(mission, MissionStatus.FAILED, spent);
            }
            return;
        }
        if (!approvedByPerson && mission.submitted().review().intervene() == Intervene.ALWAYS) {
            List<Task> ready = dispatcher.readyTasks(mission, 20);
            if (!ready.isEmpty()) {
                pause(mission, "waiting for approval to dispatch " + ready.stream().map(t -> t.taskId).collect(Collectors.joining(", ")));
            }
            return;
        }
        dispatcher.dispatchReady(mission);
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void pause(Mission mission, String reason) {
        mission.status = MissionStatus.PAUSED;
        mission.statusReason = reason;
        mission.updatedAt = Instant.now();
        events.mission(mission.id, MissionEvent.Kind.PAUSED, reason);
        LOG.infof("Mission %s paused: %s", mission.id, reason);
    }

    /**
     * Resumes a paused mission: failed tasks get another attempt, {@code guidance} goes into the context of
     * every later attempt, and ready tasks are dispatched (this counts as a person's approval).
     */
    @Transactional
    public Mission resume(String missionId, String guidance) {
        Mission mission = Mission.lock(missionId).orElseThrow(() -> new MissionNotFoundException(missionId));
        if (mission.status != MissionStatus.PAUSED) {
            throw new MissionStateException("mission " + missionId + " is " + mission.status + ", not PAUSED: only a paused mission resumes");
        }
        if (guidance != null && !guidance.isBlank()) {
            mission.guidance = mission.guidance == null ? guidance.strip() : mission.guidance + "\n" + guidance.strip();
        }
        mission.status = Task.count("missionId = ?1 and kind = ?2 and status <> ?3", mission.id, TaskKind.PLAN, TaskState.DONE) > 0
                ? MissionStatus.PLANNING : MissionStatus.RUNNING;
        mission.statusReason = null;
        mission.updatedAt = Instant.now();
        events.mission(missionId, MissionEvent.Kind.RESUMED, guidance);
        Task.update("status = ?1 where missionId = ?2 and status = ?3", TaskState.PENDING, missionId, TaskState.FAILED);
        advance(mission, true);
        return mission;
    }

    /** Gives a failed or cancelled task another attempt; a mission paused on it runs again. */
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
        task.status = TaskState.PENDING;
        if (mission.status == MissionStatus.PAUSED) {
            mission.status = MissionStatus.RUNNING;
            mission.statusReason = null;
            events.mission(missionId, MissionEvent.Kind.RESUMED, "retry of task " + taskId);
        }
        advance(mission, true);
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

    /**
     * Ends a mission: unfinished tasks are cancelled, running work is told to stop, and the outcome is
     * published.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void finish(Mission mission, MissionStatus outcome, String reason) {
        mission.status = outcome;
        mission.statusReason = reason;
        mission.updatedAt = Instant.now();
        if (outcome != MissionStatus.SEALED) {
            em.flush();
            boolean running = Task.count("missionId = ?1 and status in ?2", mission.id,
                    List.of(TaskState.QUEUED, TaskState.RUNNING, TaskState.REVIEWING)) > 0;
            Task.update("status = ?1, finishedAt = ?2 where missionId = ?3 and status not in ?4", TaskState.CANCELLED,
                    mission.updatedAt, mission.id, List.of(TaskState.DONE, TaskState.FAILED, TaskState.CANCELLED));
            if (running) {
                dispatcher.cancelRunning(mission, reason);
            }
        }
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
        int position = firstPosition;
        for (PlannedTask planned : graph.tasks()) {
            Task task = newTask(mission, planned.id(), position++, TaskKind.CODE, planned.title(), planned.prompt(), planned.files());
            task.pendingDeps = planned.dependsOn().size();
            task.persist();
            for (String dep : planned.dependsOn()) {
                TaskEdge.of(mission.id, planned.id(), dep).persist();
            }
        }
    }

    private static Task newTask(Mission mission, String taskId, int position, TaskKind kind, String title, String prompt, List<String> files) {
        Task task = new Task();
        task.missionId = mission.id;
        task.taskId = taskId;
        task.position = position;
        task.kind = kind;
        task.title = title;
        task.prompt = prompt;
        task.files = files.isEmpty() ? null : FleetJson.write(files);
        task.status = TaskState.PENDING;
        return task;
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
        return """
                Plan this coding mission. Read the repository to understand it, but do not change anything.

                Goal:
                %s

                Reply with the plan as JSON only, in one ```json block: an array of tasks, each
                {"id": "...", "title": "...", "prompt": "...", "dependsOn": ["..."], "files": ["..."]}
                - id: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit; unique.
                - prompt: complete instructions for a coding agent that sees only the repository and this prompt.
                - dependsOn: ids of tasks whose changes this task needs; no cycles.
                - files: the files the task will change; tasks that can run at the same time must not share a file.
                - At most %d tasks; prefer a few well-cut tasks.
                """.formatted(spec.goal().strip(), Math.min(maxPlanTasks, 50));
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
