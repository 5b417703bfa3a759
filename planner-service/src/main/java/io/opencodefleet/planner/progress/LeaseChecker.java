package io.opencodefleet.planner.progress;

import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.ReviewPolicy;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import io.opencodefleet.planner.mission.Mission;
import io.opencodefleet.planner.mission.MissionEvents;
import io.opencodefleet.planner.mission.MissionService;
import io.opencodefleet.planner.mission.MissionStatus;
import io.opencodefleet.planner.task.Task;
import io.opencodefleet.planner.task.TaskState;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Re-dispatches RUNNING tasks whose heartbeats stopped for the lease time, with attempt+1: the old attempt's
 * late result is then stale and ignored. Counts against {@code maxAttempts} like a rejection.
 */
@ApplicationScoped
public class LeaseChecker {

    private static final Logger LOG = Logger.getLogger(LeaseChecker.class);

    @ConfigProperty(name = "fleet.lease-seconds")
    long leaseSeconds;

    @Inject
    MissionService missions;

    @Inject
    MissionEvents events;

    @Inject
    PlannerMetrics metrics;

    @Scheduled(every = "${fleet.lease-check-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void expireLeases() {
        Instant deadline = Instant.now().minusSeconds(leaseSeconds);
        List<Object[]> expired = QuarkusTransaction.requiringNew().call(() -> Task.getEntityManager().createQuery(
                "select t.missionId, t.taskId, t.attempt from Task t where t.status = ?1 and t.lastHeartbeatAt < ?2", Object[].class)
                .setParameter(1, TaskState.RUNNING).setParameter(2, deadline).setMaxResults(500).getResultList());
        for (Object[] row : expired) {
            QuarkusTransaction.requiringNew().run(() -> expire((String) row[0], (String) row[1], (Integer) row[2], deadline));
        }
    }

    private void expire(String missionId, String taskId, int attempt, Instant deadline) {
        Mission mission = Mission.lock(missionId).orElse(null);
        if (mission == null || mission.status.isFinished()) {
            return;
        }
        Task task = Task.find(missionId, taskId).orElse(null);
        if (task == null || task.attempt != attempt || task.status != TaskState.RUNNING || !task.lastHeartbeatAt.isBefore(deadline)) {
            return;
        }
        String reason = "lease expired: worker " + task.workerId + " sent no heartbeat for " + leaseSeconds + "s";
        LOG.warnf("Task %s/%s attempt %d: %s", missionId, taskId, attempt, reason);
        metrics.leaseExpired();
        events.task(missionId, MissionEvent.Kind.TASK_REJECTED, taskId, attempt, reason);
        if (task.attempt < mission.submitted().limits().maxAttempts()) {
            task.status = TaskState.PENDING;
            missions.advance(mission, false);
        } else {
            task.status = TaskState.FAILED;
            task.finishedAt = Instant.now();
            events.task(missionId, MissionEvent.Kind.TASK_FAILED, taskId, attempt, reason);
            if (mission.submitted().review().pausesOn(ReviewPolicy.Intervene.ON_ERROR)) {
                missions.pause(mission, "task " + taskId + ": " + reason);
            } else {
                missions.finish(mission, MissionStatus.FAILED, "task " + taskId + ": " + reason);
            }
        }
    }
}
