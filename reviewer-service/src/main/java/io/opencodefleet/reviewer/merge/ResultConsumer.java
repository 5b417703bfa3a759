package io.opencodefleet.reviewer.merge;

import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PostConstruct;
import java.time.Duration;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.Record;
import io.opencodefleet.common.messages.Verdict;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Outgoing;

/**
 * Reviews each result on {@code fleet.results} and answers on {@code fleet.verdicts}, keyed by mission.
 * The result's offset is committed only after its verdict is acknowledged; a crash in between reviews it
 * again, which the merge queue's idempotence makes harmless.
 */
@ApplicationScoped
public class ResultConsumer {

    @Inject
    MergeQueue mergeQueue;

    @Inject
    MeterRegistry metrics;

    private Timer mergeDuration;

    /** Counters exist at 0 from the start, so alerts on their increase see the first one. */
    void registerAtZero(@Observes StartupEvent event) {
        metrics.counter("fleet.dlq.records", "topic", Topics.RESULTS);
        for (Verdict verdict : Verdict.values()) {
            metrics.counter("fleet.review.verdicts", "verdict", verdict.name().toLowerCase());
        }
    }

    @PostConstruct
    void init() {
        mergeDuration = Timer.builder("fleet.merge.duration").description("Reviewing one result: merge, checks, push")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofHours(2))
                .register(metrics);
    }

    @Incoming("results")
    @Outgoing("verdicts")
    @Blocking
    public Record<String, ReviewVerdict> review(String json) {
        TaskResult result;
        try {
            result = MessageCodec.decode(json, TaskResult.class);
        } catch (InvalidMessageException e) {
            metrics.counter("fleet.dlq.records", "topic", Topics.RESULTS).increment();
            throw e;
        }
        ReviewVerdict verdict = mergeDuration.record(() -> mergeQueue.review(result));
        metrics.counter("fleet.review.verdicts", "verdict", verdict.verdict().name().toLowerCase()).increment();
        return Record.of(result.missionId(), verdict);
    }
}
