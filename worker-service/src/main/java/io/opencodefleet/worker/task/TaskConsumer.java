package io.opencodefleet.worker.task;

import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.Record;
import io.opencodefleet.common.messages.TaskStatus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Outgoing;

/**
 * Takes assignments from {@code fleet.tasks} (group {@code fleet-workers}) into the worker's task slots and
 * publishes each result on {@code fleet.results}, keyed by mission. The assignment's offset is committed only
 * after its result is acknowledged, so a crash mid-task runs it again (the planner fences stale attempts).
 */
@ApplicationScoped
public class TaskConsumer {

    private static final Logger LOG = Logger.getLogger(TaskConsumer.class);

    @Inject
    TaskRunner runner;

    @Inject
    MeterRegistry metrics;

    private final Map<RunningTasks.Key, CompletableFuture<TaskResult>> inProgress = new ConcurrentHashMap<>();

    /** Counters exist at 0 from the start, so alerts on their increase see the first one. */
    void registerAtZero(@Observes StartupEvent event) {
        metrics.counter("fleet.dlq.records", "topic", Topics.TASKS);
        for (TaskStatus status : TaskStatus.values()) {
            metrics.counter("fleet.worker.tasks", "status", status.name().toLowerCase());
        }
    }

    @Incoming("tasks")
    @Outgoing("results")
    @Blocking(value = "task-slots", ordered = false)
    public Record<String, TaskResult> onAssignment(String json) {
        TaskAssignment task;
        try {
            task = MessageCodec.decode(json, TaskAssignment.class);
        } catch (InvalidMessageException e) {
            metrics.counter("fleet.dlq.records", "topic", Topics.TASKS).increment();
            throw e;
        }
        // Kafka may hand this worker the same attempt twice at once (a rebalance re-delivers what is in flight):
        // the second delivery waits for the first and answers with its result instead of running it again.
        RunningTasks.Key key = new RunningTasks.Key(task.missionId(), task.taskId(), task.attempt());
        CompletableFuture<TaskResult> mine = new CompletableFuture<>();
        CompletableFuture<TaskResult> first = inProgress.putIfAbsent(key, mine);
        if (first != null) {
            LOG.infof("Task %s/%s attempt %d delivered twice; answering with the first delivery's result", task.missionId(), task.taskId(), task.attempt());
            return Record.of(task.missionId(), first.join());
        }
        try {
            TaskResult result = runner.run(task);
            mine.complete(result);
            return Record.of(task.missionId(), result);
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inProgress.remove(key, mine);
        }
    }
}
