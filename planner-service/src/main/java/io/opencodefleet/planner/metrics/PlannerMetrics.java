package io.opencodefleet.planner.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opencodefleet.common.kafka.FleetDeadLetters;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Topics;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.event.Observes;
import java.util.List;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Locale;

/** The planner's fleet metrics, named as the design fixes them (Prometheus adds the _total / _seconds suffixes). */
@ApplicationScoped
public class PlannerMetrics {

    static final List<String> REDISPATCH_REASONS = List.of("lost", "lease", "infrastructure", "released");

    @Inject
    MeterRegistry registry;

    private Timer dispatchLatency;
    private Timer taskDuration;

    @PostConstruct
    void init() {
        dispatchLatency = Timer.builder("fleet.dispatch.latency")
                .description("Task QUEUED until a worker started it")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofHours(1))
                .register(registry);
        taskDuration = Timer.builder("fleet.task.duration")
                .description("A worker's time on one task attempt")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(100))
                .maximumExpectedValue(Duration.ofHours(8))
                .register(registry);
    }

    /**
     * Every counter with its known labels exists from the start at 0: Prometheus' increase() cannot count a
     * series' first sample, so a counter born at 1 would hide the first dead letter or failure from alerts.
     */
    void registerAtZero(@Observes StartupEvent event) {
        FleetDeadLetters.registerAtZero(registry, Topics.MISSIONS, Topics.RESULTS, Topics.VERDICTS, Topics.PROGRESS);
        registry.counter("fleet.lease.expired");
        registry.counter("fleet.outbox.parked");
        for (String reason : REDISPATCH_REASONS) {
            registry.counter("fleet.redispatches", "reason", reason);
        }
        for (String outcome : List.of("sealed", "failed", "cancelled")) {
            registry.counter("fleet.missions", "outcome", outcome);
        }
        for (TaskKind kind : List.of(TaskKind.PLAN, TaskKind.CODE)) {
            registry.counter("fleet.tasks.dispatched", "kind", lower(kind));
            for (String outcome : List.of("succeeded", "rejected", "failed")) {
                registry.counter("fleet.tasks", "kind", lower(kind), "outcome", outcome);
            }
        }
        registry.counter("fleet.tokens", "direction", "input");
        registry.counter("fleet.tokens", "direction", "output");
        registry.counter("fleet.cost.usd");
    }

    public void dispatched(TaskKind kind) {
        registry.counter("fleet.tasks.dispatched", "kind", lower(kind)).increment();
    }

    public void started(Duration sinceDispatch) {
        dispatchLatency.record(sinceDispatch);
    }

    /** An attempt ended: {@code outcome} is succeeded, rejected (another attempt follows) or failed (attempts spent). */
    public void taskOutcome(TaskKind kind, String outcome, long durationMs) {
        registry.counter("fleet.tasks", "kind", lower(kind), "outcome", outcome).increment();
        if (durationMs > 0) {
            taskDuration.record(Duration.ofMillis(durationMs));
        }
    }

    /** What an agent (or a review by agent) spent, counted once per attempt. */
    public void spent(Usage usage) {
        if (usage != null) {
            registry.counter("fleet.tokens", "direction", "input").increment(usage.inputTokens());
            registry.counter("fleet.tokens", "direction", "output").increment(usage.outputTokens());
            registry.counter("fleet.cost.usd").increment(usage.costUsd());
        }
    }

    public void missionFinished(String outcome) {
        registry.counter("fleet.missions", "outcome", outcome.toLowerCase(Locale.ROOT)).increment();
    }

    public void leaseExpired() {
        registry.counter("fleet.lease.expired").increment();
    }

    public void outboxParked(int rows) {
        registry.counter("fleet.outbox.parked").increment(rows);
    }

    /**
     * The planner acted on the fleet's trouble: {@code reason} is {@code lost} (a message re-sent, same attempt),
     * {@code infrastructure} (a new attempt after a workspace, git, OpenCode or review failure) or {@code released}.
     */
    public void redispatched(String reason) {
        registry.counter("fleet.redispatches", "reason", reason).increment();
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
