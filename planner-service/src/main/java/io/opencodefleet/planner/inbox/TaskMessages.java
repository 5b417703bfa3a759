package io.opencodefleet.planner.inbox;

import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskProgress;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.planner.mission.Mission;
import io.opencodefleet.planner.mission.Task;
import io.opencodefleet.planner.mission.TaskDispatcher;
import io.opencodefleet.planner.mission.TaskLifecycle;
import io.opencodefleet.planner.mission.TaskRef;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * What the planner hears about running work, a polled batch per transaction: heartbeats on {@code fleet.progress}
 * (only the latest of an attempt counts), workers' results on {@code fleet.results} and the reviewer's verdicts on
 * {@code fleet.verdicts}. The tasks a batch names are loaded in one query; the planner fences each record against
 * its task's current attempt before anything happens.
 */
@ApplicationScoped
public class TaskMessages {

    @Inject
    Inbox inbox;

    @Inject
    TaskLifecycle lifecycle;

    @Incoming("progress")
    @Blocking
    public CompletionStage<Void> heartbeats(KafkaRecordBatch<String, TaskProgress> batch) {
        return inbox.apply("heartbeats", batch, TaskProgress::missionId, p -> List.of(p.missionId(), p.taskId(), p.attempt()),
                Inbox.Handler.preloading(p -> new TaskRef(p.missionId(), p.taskId(), p.attempt()), false,
                        (mission, progress, now) -> withTask(mission, progress.taskId(), task -> lifecycle.heartbeat(mission, task, progress, now))));
    }

    @Incoming("results")
    @Blocking
    public CompletionStage<Void> results(KafkaRecordBatch<String, TaskResult> batch) {
        return inbox.apply("results", batch, TaskResult::missionId, Inbox.Handler.preloading(r -> new TaskRef(r.missionId(), r.taskId(), r.attempt()),
                true, (mission, result, now) -> withTask(mission, result.taskId(), task -> lifecycle.result(mission, task, result, now))));
    }

    @Incoming("verdicts")
    @Blocking
    public CompletionStage<Void> verdicts(KafkaRecordBatch<String, ReviewVerdict> batch) {
        return inbox.apply("verdicts", batch, ReviewVerdict::missionId, Inbox.Handler.preloading(
                v -> TaskDispatcher.SEAL_TASK_ID.equals(v.taskId()) ? null : new TaskRef(v.missionId(), v.taskId(), v.attempt()), true, this::verdict));
    }

    private void verdict(Mission mission, ReviewVerdict verdict, Instant now) {
        if (TaskDispatcher.SEAL_TASK_ID.equals(verdict.taskId())) {
            lifecycle.sealVerdict(mission, verdict, now);
        } else {
            withTask(mission, verdict.taskId(), task -> lifecycle.verdict(mission, task, verdict, now));
        }
    }

    private static void withTask(Mission mission, String taskId, Consumer<Task> action) {
        Task.find(mission.id, taskId).ifPresent(action);
    }
}
