package io.opencodefleet.planner.mission;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.plan.PlanValidator;
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
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hibernate.exception.ConstraintViolationException;
import org.jboss.logging.Logger;

/** Mission intake and lifecycle: accept (idempotently), cancel, fail, seal. */
@ApplicationScoped
public class MissionService {

    private static final Logger LOG = Logger.getLogger(MissionService.class);

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
     * Accepts a mission: validates it, stores mission, tasks and edges, and dispatches the ready tasks, all in
     * one transaction. The same missionId twice returns the first mission unchanged.
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
        if (spec.plan() == null || spec.plan().isEmpty()) {
            throw new InvalidMessageException("plan: required (planning by agent is not available yet); give an explicit plan of tasks");
        }
        var graph = new PlanValidator(maxPlanTasks).validate(spec.plan());

        Instant now = Instant.now();
        Mission mission = new Mission();
        mission.id = id;
        mission.title = spec.title();
        mission.status = MissionStatus.RUNNING;
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
        int position = 0;
        for (PlannedTask planned : graph.tasks()) {
            Task task = new Task();
            task.missionId = id;
            task.taskId = planned.id();
            task.position = position++;
            task.kind = TaskKind.CODE;
            task.title = planned.title();
            task.prompt = planned.prompt();
            task.files = planned.files().isEmpty() ? null : FleetJson.write(planned.files());
            task.status = TaskState.PENDING;
            task.pendingDeps = planned.dependsOn().size();
            task.persist();
            for (String dep : planned.dependsOn()) {
                TaskEdge.of(id, planned.id(), dep).persist();
            }
        }
        events.mission(id, MissionEvent.Kind.SUBMITTED, spec.title());
        events.mission(id, MissionEvent.Kind.PLANNED, graph.size() + " tasks");
        dispatcher.dispatchReady(mission);
        LOG.infof("Mission %s accepted: %d tasks", id, graph.size());
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
     * published. Caller holds the mission lock.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void finish(Mission mission, MissionStatus outcome, String reason) {
        mission.status = outcome;
        mission.statusReason = reason;
        mission.updatedAt = Instant.now();
        if (outcome != MissionStatus.SEALED) {
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
