package io.opencodefleet.worker.task;

import io.micrometer.core.instrument.MeterRegistry;
import io.opencodefleet.common.health.Dependencies;
import io.opencodefleet.common.kafka.FleetDeadLetters;
import io.opencodefleet.common.kafka.NotProcessed;
import io.opencodefleet.common.messages.ErrorInfo;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.retry.Retrier;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Takes assignments from {@code fleet.tasks} (group {@code fleet-workers}) into the worker's task slots and
 * publishes each result on {@code fleet.results}, keyed by mission. The assignment's offset is committed only after
 * its result is acknowledged (the broker away: the result is sent again until it is), so a crash mid-task runs it
 * again (the planner fences stale attempts). A worker that is draining hands new assignments straight back.
 */
@ApplicationScoped
public class TaskConsumer {

    private static final Logger LOG = Logger.getLogger(TaskConsumer.class);

    @Inject
    TaskRunner runner;

    @Inject
    Drain drain;

    @Inject
    WorkerIdentity identity;

    @Inject
    MeterRegistry metrics;

    @Inject
    Dependencies readiness;

    @Inject
    @Channel("results")
    MutinyEmitter<TaskResult> results;

    private final Map<RunningTasks.Key, CompletableFuture<TaskResult>> inProgress = new ConcurrentHashMap<>();
    /** The results of the attempts this worker finished lately: a later delivery of one is answered, not run again. */
    private final Map<RunningTasks.Key, TaskResult> finished = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<RunningTasks.Key, TaskResult> eldest) {
            return size() > 1_000;
        }
    });
    private volatile boolean stopped;

    /** Counters exist at 0 from the start, so alerts on their increase see the first one. */
    void registerAtZero(@Observes StartupEvent event) {
        FleetDeadLetters.registerAtZero(metrics, Topics.TASKS);
        for (TaskStatus status : TaskStatus.values()) {
            metrics.counter("fleet.worker.tasks", "status", status.name().toLowerCase(Locale.ROOT));
        }
    }

    /** After the drain (priority 100): a result still unsent now stays unsent, and its assignment uncommitted. */
    void stop(@Observes @Priority(200) ShutdownEvent event) {
        stopped = true;
    }

    /** Attempts being handled now (running, or publishing their result). */
    public int inProgress() {
        return inProgress.size();
    }

    @Incoming("tasks")
    @Blocking(value = "task-slots", ordered = false)
    public void onAssignment(ConsumerRecord<String, TaskAssignment> record) {
        TaskAssignment task = FleetDeadLetters.payload(record);
        // Kafka may hand this worker the same attempt twice at once (a rebalance re-delivers what is in flight):
        // the second delivery waits for the first and answers with its result instead of running it again.
        RunningTasks.Key key = RunningTasks.Key.of(task);
        TaskResult done = finished.get(key);
        if (done != null && done.status() != TaskStatus.RELEASED) {
            LOG.infof("Task %s/%s attempt %d delivered again; answering with its result", task.missionId(), task.taskId(), task.attempt());
            publish(done);
            return;
        }
        CompletableFuture<TaskResult> mine = new CompletableFuture<>();
        CompletableFuture<TaskResult> first = inProgress.putIfAbsent(key, mine);
        if (first != null) {
            LOG.infof("Task %s/%s attempt %d delivered twice; answering with the first delivery's result", task.missionId(), task.taskId(), task.attempt());
            publish(first.join());
            return;
        }
        try {
            TaskResult result = drain.draining()
                    ? TaskResult.of(task, TaskStatus.RELEASED, null, null, List.of(), null, null, Usage.ZERO, 0, identity.id(), null,
                            ErrorInfo.of(ErrorInfo.RELEASED, "the worker is shutting down"))
                    : runner.run(task);
            mine.complete(result);
            finished.put(key, result);
            publish(result);
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inProgress.remove(key, mine);
        }
    }

    private void publish(TaskResult result) {
        try {
            Retrier.forever(Duration.ofMillis(500), Duration.ofSeconds(10), readiness, () -> stopped)
                    .run("kafka", "sending the result of " + result.missionId() + "/" + result.taskId() + " attempt " + result.attempt(),
                            e -> true, () -> results.sendMessageAndAwait(KafkaRecord.of(result.missionId(), result)));
        } catch (RuntimeException e) {
            throw new NotProcessed("the result could not be sent before the worker stopped", e);
        }
    }
}
