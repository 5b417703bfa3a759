package io.opencodefleet.planner.deadline;

import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.planner.PlannerConfig;
import io.opencodefleet.planner.mission.Mission;
import io.opencodefleet.planner.mission.MissionService;
import io.opencodefleet.planner.mission.MissionStatus;
import io.opencodefleet.planner.mission.Task;
import io.opencodefleet.planner.mission.TaskDispatcher;
import io.opencodefleet.planner.mission.TaskLifecycle;
import io.opencodefleet.planner.mission.TaskState;
import io.opencodefleet.planner.outbox.Deliveries;
import io.opencodefleet.planner.outbox.Delivery;
import io.opencodefleet.planner.outbox.Outbox;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The owner of every waiting state, like a Kubernetes controller: it looks for deadlines that passed and drives
 * each mission forward, idempotently, under the mission's lock, whatever crashed, restarted or got lost.
 * <ul>
 * <li>QUEUED: the assignment's fate on the broker decides: waiting for a free worker (or being worked on) →
 * wait longer; lost, or consumed without a word → send the same attempt again.</li>
 * <li>RUNNING: no heartbeat for the lease → a new attempt fences the old one, which is told to stop; not counted
 * against the task. No lease expires in the first {@code startup-grace} after the planner starts, so a planner
 * that was down reads the heartbeats that piled up first.</li>
 * <li>REVIEWING, and a requested seal: the review request's fate decides, as for assignments.</li>
 * <li>PENDING after a backoff: the mission moves on.</li>
 * <li>An active mission with nothing in flight and nothing scheduled is moved on (the safety net).</li>
 * </ul>
 */
@ApplicationScoped
public class DeadlineReconciler {

    private static final Logger LOG = Logger.getLogger(DeadlineReconciler.class);
    private static final int PER_PASS = 200;
    private static final Duration IDLE_CHECK = Duration.ofSeconds(10);

    @Inject
    PlannerConfig config;

    @Inject
    TaskLifecycle lifecycle;

    @Inject
    MissionService missions;

    @Inject
    Deliveries deliveries;

    private volatile Instant startedAt = Instant.now();
    private Instant lastIdleCheck = Instant.EPOCH;

    void started(@Observes StartupEvent event) {
        startedAt = Instant.now();
    }

    @Scheduled(every = "${fleet.deadlines.check-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void reconcile() {
        Instant now = Instant.now();
        Deliveries.Snapshot broker = deliveries.snapshot();
        for (Object[] due : query("select t.missionId, t.taskId from Task t where t.deadlineAt <= ?1 order by t.deadlineAt", now)) {
            inMission((String) due[0], mission -> taskDeadline(mission, (String) due[1], now, broker));
        }
        Duration grace = config.deadlines().startupGrace().orElse(config.lease());
        if (now.isAfter(startedAt.plus(grace))) {
            Instant cutoff = now.minus(config.lease());
            for (Object[] expired : query("select t.missionId, t.taskId from Task t where t.status = ?1 and t.lastHeartbeatAt < ?2",
                    TaskState.RUNNING, cutoff)) {
                inMission((String) expired[0], mission -> Task.find(mission.id, (String) expired[1])
                        .filter(task -> task.status == TaskState.RUNNING && task.lastHeartbeatAt.isBefore(cutoff))
                        .ifPresent(task -> lifecycle.leaseExpired(mission, task, now)));
            }
        }
        for (Object[] sealing : query("select m.id, m.id from Mission m where m.sealDeadlineAt <= ?1", now)) {
            inMission((String) sealing[0], mission -> sealDeadline(mission, now, broker));
        }
        if (Duration.between(lastIdleCheck, now).compareTo(IDLE_CHECK) >= 0) {
            lastIdleCheck = now;
            for (Object[] idle : query("select m.id, m.id from Mission m where m.status in ?1 and m.sealDeadlineAt is null"
                    + " and not exists (select 1 from Task t where t.missionId = m.id and (t.status in ?2 or t.deadlineAt is not null))",
                    List.of(MissionStatus.RUNNING, MissionStatus.PLANNING), TaskState.IN_FLIGHT)) {
                inMission((String) idle[0], mission -> missions.advance(mission, false, now));
            }
        }
    }

    /** The broker refused a tracked message for good: what waits on it fails (not the agent's fault). */
    void onParked(@Observes Outbox.Parked parked) {
        String[] parts = parked.tracks().substring(parked.tracks().indexOf(':') + 1).split("/");
        Instant now = Instant.now();
        inMission(parts[0], mission -> {
            if (TaskDispatcher.SEAL_TASK_ID.equals(parts[1])) {
                mission.sealDeadlineAt = null;
                missions.giveUp(mission, "the final verification request could not be published: " + parked.reason());
                return;
            }
            Task.find(mission.id, parts[1]).filter(task -> task.awaits(Integer.parseInt(parts[2])))
                    .ifPresent(task -> lifecycle.deliveryRefused(mission, task, parked.reason(), now));
        });
    }

    private void taskDeadline(Mission mission, String taskId, Instant now, Deliveries.Snapshot broker) {
        Task task = Task.find(mission.id, taskId).orElse(null);
        if (task == null || task.deadlineAt == null || task.deadlineAt.isAfter(now)) {
            return;
        }
        switch (task.status) {
            case PENDING -> {
                task.deadlineAt = null;
                missions.advance(mission, false, now);
            }
            case QUEUED -> {
                Deliveries.Fate fate = broker.fate(Delivery.key(Topics.TASKS, mission.id, task.taskId, task.attempt), Topics.WORKERS_GROUP);
                if (lost(fate, broker, Topics.PROGRESS, Topics.RESULTS)) {
                    lifecycle.assignmentLost(mission, task, now);
                } else {
                    task.deadlineAt = now.plus(config.deadlines().queued());
                }
            }
            case REVIEWING -> {
                Deliveries.Fate fate = broker.fate(Delivery.key(Topics.REVIEWS, mission.id, task.taskId, task.attempt), Topics.REVIEWERS_GROUP);
                if (lost(fate, broker, Topics.VERDICTS)) {
                    lifecycle.reviewLost(mission, task, now);
                } else {
                    task.deadlineAt = now.plus(config.deadlines().review());
                }
            }
            default -> task.deadlineAt = null;
        }
    }

    private void sealDeadline(Mission mission, Instant now, Deliveries.Snapshot broker) {
        if (!mission.sealRequested() || mission.sealDeadlineAt.isAfter(now)) {
            return;
        }
        Deliveries.Fate fate = broker.fate(Delivery.key(Topics.REVIEWS, mission.id, TaskDispatcher.SEAL_TASK_ID, mission.sealAttempt),
                Topics.REVIEWERS_GROUP);
        if (lost(fate, broker, Topics.VERDICTS)) {
            lifecycle.sealLost(mission, now);
        } else {
            mission.sealDeadlineAt = now.plus(config.deadlines().review());
        }
    }

    /**
     * Lost: the broker does not hold it, or its consumers committed past it and no answer is left for the planner
     * to read (while the planner is behind on the answers' topics, the answer may still be there).
     */
    private static boolean lost(Deliveries.Fate fate, Deliveries.Snapshot broker, String... answerTopics) {
        return fate == Deliveries.Fate.LOST
                || (fate == Deliveries.Fate.CONSUMED && !broker.behind(Topics.PLANNER_GROUP, answerTopics));
    }

    private interface InMission {
        void apply(Mission mission);
    }

    private void inMission(String missionId, InMission action) {
        try {
            QuarkusTransaction.requiringNew().run(() -> Mission.lock(missionId)
                    .filter(mission -> !mission.status.isFinished()).ifPresent(mission -> {
                        action.apply(mission);
                        missions.settle(mission, Instant.now());
                    }));
        } catch (RuntimeException e) {
            LOG.warnf("Deadline of mission %s not handled this time: %s", missionId, e.getMessage());
            LOG.debug("Deadline failure", e);
        }
    }

    private static List<Object[]> query(String jpql, Object... parameters) {
        try {
            return QuarkusTransaction.requiringNew().call(() -> {
                var query = Task.getEntityManager().createQuery(jpql, Object[].class);
                for (int i = 0; i < parameters.length; i++) {
                    query.setParameter(i + 1, parameters[i]);
                }
                return query.setMaxResults(PER_PASS).getResultList();
            });
        } catch (RuntimeException e) {
            LOG.debugf("Deadlines not checked this time: %s", e.getMessage());
            return List.of();
        }
    }
}
