package io.opencodefleet.reviewer.review;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opencodefleet.common.git.GitException;
import io.opencodefleet.common.health.Dependencies;
import io.opencodefleet.common.kafka.FleetDeadLetters;
import io.opencodefleet.common.kafka.NotProcessed;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.common.opencode.OpencodeException;
import io.opencodefleet.common.retry.Retrier;
import io.opencodefleet.reviewer.ReviewerConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The reviewer takes its orders from the planner only: each {@link ReviewRequest} on {@code fleet.reviews} (keyed by
 * mission, so one partition is one mission's merge queue) is reviewed by its kind and answered on
 * {@code fleet.verdicts}. The request's offset is committed only after its verdict is acknowledged; a crash in
 * between reviews it again, which the merge's idempotence makes harmless. Trouble on the way (a git remote or the
 * disk failing, OpenCode away) is retried with backoff; only when it lasts does the answer say ERROR, so the planner
 * retries without charging the agent.
 */
@ApplicationScoped
public class ReviewConsumer {

    private static final Logger LOG = Logger.getLogger(ReviewConsumer.class);

    @Inject
    MergeReview merges;

    @Inject
    PlanReview plans;

    @Inject
    SealReview seals;

    @Inject
    ScratchClones clones;

    @Inject
    ReviewerConfig config;

    @Inject
    Dependencies readiness;

    @Inject
    MeterRegistry metrics;

    @Inject
    @Channel("verdicts")
    MutinyEmitter<ReviewVerdict> verdicts;

    private volatile boolean stopping;
    private Timer mergeDuration;

    @PostConstruct
    void init() {
        mergeDuration = Timer.builder("fleet.merge.duration").description("Reviewing one request: merge, checks, push")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofHours(2))
                .register(metrics);
    }

    /** Counters exist at 0 from the start, so alerts on their increase see the first one. */
    void registerAtZero(@Observes StartupEvent event) {
        FleetDeadLetters.registerAtZero(metrics, Topics.REVIEWS);
        for (Verdict verdict : Verdict.values()) {
            metrics.counter("fleet.review.verdicts", "verdict", verdict.name().toLowerCase(Locale.ROOT));
        }
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    @Incoming("reviews")
    @Blocking
    public void onRequest(ConsumerRecord<String, ReviewRequest> record) {
        ReviewRequest request = FleetDeadLetters.payload(record);
        ReviewVerdict verdict = mergeDuration.record(() -> review(request));
        metrics.counter("fleet.review.verdicts", "verdict", verdict.verdict().name().toLowerCase(Locale.ROOT)).increment();
        try {
            Retrier.forever(Duration.ofMillis(500), Duration.ofSeconds(10), readiness, () -> stopping)
                    .run("kafka", "sending the verdict on " + request.missionId() + "/" + request.taskId(), e -> true,
                            () -> verdicts.sendMessageAndAwait(KafkaRecord.of(request.missionId(), verdict)));
        } catch (RuntimeException e) {
            throw new NotProcessed("the reviewer stopped before its verdict went out", e);
        }
    }

    ReviewVerdict review(ReviewRequest request) {
        if (stopping) {
            throw new NotProcessed("the reviewer is stopping", null);
        }
        try {
            return clones.using(request.missionId(), () -> new Retrier(config.firstBackoff(), config.maxBackoff(), config.transientTries(),
                    readiness, () -> stopping).call(dependencyOf(request), "reviewing " + request.missionId() + "/" + request.taskId()
                            + " attempt " + request.attempt(), ReviewConsumer::isTransient, () -> switch (request.kind()) {
                                case MERGE -> merges.review(request);
                                case PLAN -> plans.review(request);
                                case SEAL -> seals.review(request);
                            }));
        } catch (GitException | UncheckedIOException | OpencodeException | IllegalStateException | IllegalArgumentException e) {
            if (stopping) {
                throw new NotProcessed("the reviewer stopped during the review", e);
            }
            LOG.warnf("Review of %s/%s attempt %d could not run: %s", request.missionId(), request.taskId(), request.attempt(), e.getMessage());
            return Verdicts.error(request, "the review could not run: " + Retrier.rootMessage(e));
        }
    }

    /** A git remote, the disk or OpenCode failing may pass; a local git failure or a bad request will not. */
    static boolean isTransient(Throwable error) {
        return (error instanceof GitException git && git.remote()) || error instanceof UncheckedIOException
                || error instanceof OpencodeException;
    }

    private static String dependencyOf(ReviewRequest request) {
        return "git remote of " + request.missionId();
    }
}
