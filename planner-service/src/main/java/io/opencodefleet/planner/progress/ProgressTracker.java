package io.opencodefleet.planner.progress;

import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskProgress;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import io.opencodefleet.planner.mission.Mission;
import io.opencodefleet.planner.mission.MissionEvents;
import io.opencodefleet.planner.task.Task;
import io.opencodefleet.planner.task.TaskState;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Follows running work: a heartbeat on {@code fleet.progress} moves a task to RUNNING (once) and renews its
 * lease; a result on {@code fleet.results} moves it to REVIEWING, where the lease no longer applies. Both
 * ignore any attempt but the current one.
 */
@ApplicationScoped
public class ProgressTracker {

    @Inject
    MissionEvents events;

    @Inject
    PlannerMetrics metrics;

    @Incoming("progress")
    @Blocking
    public void onProgress(String json) {
        TaskProgress progress;
        try {
            progress = MessageCodec.decode(json, TaskProgress.class);
        } catch (InvalidMessageException e) {
            metrics.deadLettered(Topics.PROGRESS);
            throw e;
        }
        heartbeat(progress);
    }

    @Incoming("results")
    @Blocking
    public void onResult(String json) {
        try {
            resultIn(MessageCodec.decode(json, TaskResult.class));
        } catch (InvalidMessageException e) {
            // The reviewer owns fleet.results and sends bad records to its DLQ; here they only do not count.
        }
    }

    @Transactional
    public void heartbeat(TaskProgress progress) {
        Task task = currentAttempt(progress.missionId(), progress.taskId(), progress.attempt());
        if (task == null || (task.status != TaskState.QUEUED && task.status != TaskState.RUNNING)) {
            return;
        }
        Instant now = Instant.now();
        if (task.status == TaskState.QUEUED) {
            markStarted(task, progress.at() != null ? progress.at() : now, progress.workerId());
        }
        task.lastHeartbeatAt = now;
        task.workerId = progress.workerId();
        if (progress.opencodeSessionId() != null) {
            task.opencodeSession = progress.opencodeSessionId();
            task.opencodeUrl = progress.opencodeUrl();
        }
    }

    @Transactional
    public void resultIn(TaskResult result) {
        if (result.kind() == TaskKind.SEAL) {
            return;
        }
        Task task = currentAttempt(result.missionId(), result.taskId(), result.attempt());
        if (task != null && (task.status == TaskState.QUEUED || task.status == TaskState.RUNNING)) {
            if (task.status == TaskState.QUEUED) {
                // The result overtook the first heartbeat: the task did start.
                markStarted(task, Instant.now().minusMillis(result.durationMs()), result.workerId());
            }
            task.status = TaskState.REVIEWING;
            task.lastHeartbeatAt = Instant.now();
        }
    }

    private void markStarted(Task task, Instant at, String workerId) {
        task.status = TaskState.RUNNING;
        task.startedAt = at;
        task.workerId = workerId;
        if (task.dispatchedAt != null) {
            metrics.started(Duration.between(task.dispatchedAt, at).abs());
        }
        events.task(task.missionId, MissionEvent.Kind.TASK_STARTED, task.taskId, task.attempt, workerId);
    }

    /** The task under its mission's lock, or null when the mission is finished or the attempt is not current. */
    private static Task currentAttempt(String missionId, String taskId, int attempt) {
        Mission mission = Mission.lock(missionId).orElse(null);
        if (mission == null || mission.status.isFinished()) {
            return null;
        }
        Task task = Task.find(missionId, taskId).orElse(null);
        return task != null && task.attempt == attempt ? task : null;
    }
}
