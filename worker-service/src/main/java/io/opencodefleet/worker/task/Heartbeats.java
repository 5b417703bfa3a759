package io.opencodefleet.worker.task;

import io.opencodefleet.common.messages.TaskProgress;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

/**
 * Heartbeats on {@code fleet.progress} for every attempt this worker runs: one when it starts and when its phase
 * changes, then every {@code fleet.worker.heartbeat-interval}. They keep the attempt's lease; a failed send only
 * skips one beat (the next comes on schedule), it never stops the heartbeats.
 */
@ApplicationScoped
public class Heartbeats {

    private static final Logger LOG = Logger.getLogger(Heartbeats.class);

    @Inject
    RunningTasks running;

    @Inject
    WorkerIdentity identity;

    @Inject
    @Channel("progress")
    MutinyEmitter<TaskProgress> progress;

    @Scheduled(every = "${fleet.worker.heartbeat-interval:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void beatAll() {
        running.all().forEach(this::beat);
    }

    void beat(RunningTasks.Run run) {
        try {
            var task = run.task();
            progress.sendMessageAndForget(KafkaRecord.of(task.taskId(), new TaskProgress(task.missionId(), task.taskId(), task.attempt(),
                    identity.id(), run.phase, run.tokens, Instant.now(), run.attachUrl, run.sessionId)));
        } catch (RuntimeException e) {
            LOG.debugf("Heartbeat of %s/%s skipped: %s", run.task().missionId(), run.task().taskId(), e.getMessage());
        }
    }
}
