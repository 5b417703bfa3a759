package io.opencodefleet.planner.inbox;

import io.opencodefleet.common.health.Dependencies;
import io.opencodefleet.common.kafka.NotProcessed;
import io.opencodefleet.common.retry.Retrier;
import io.opencodefleet.planner.mission.Mission;
import io.opencodefleet.planner.mission.MissionService;
import io.opencodefleet.planner.mission.TaskRef;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Applies a polled batch of records (results, verdicts or heartbeats) in one transaction: the batch's missions are
 * locked in id order (so two batches never deadlock), records of missions that are unknown or finished are
 * dropped, each record goes to its handler in order, and then each mission moves on once (dispatch, seal). The
 * connector commits the batch's offsets only after this returns, so nothing is lost between the broker and
 * PostgreSQL.
 * <ul>
 * <li>A record that did not deserialize goes to its dead-letter topic with the reason (nack).</li>
 * <li>PostgreSQL away: the batch is retried, with backoff, until it works (the offsets wait; the service reports
 * not ready).</li>
 * <li>A record that fails for another reason is found by applying the batch one record at a time; that record alone
 * goes to the dead-letter topic.</li>
 * </ul>
 */
@ApplicationScoped
public class Inbox {

    private static final Logger LOG = Logger.getLogger(Inbox.class);

    /** What one record does to its (locked, unfinished) mission. */
    @FunctionalInterface
    public interface Handler<T> {
        void apply(Mission mission, T message, Instant now);

        /** Before the records are applied, with the mission locks held: load what they will look up, in bulk. */
        default void preload(List<T> messages) {
        }

        /** {@code apply}, after loading the tasks (and with {@code attempts} their attempts) the batch's records name. */
        static <T> Handler<T> preloading(Function<T, TaskRef> refOf, boolean attempts, Handler<T> apply) {
            return new Handler<>() {
                @Override
                public void apply(Mission mission, T message, Instant now) {
                    apply.apply(mission, message, now);
                }

                @Override
                public void preload(List<T> messages) {
                    TaskRef.preload(messages.stream().map(refOf).filter(java.util.Objects::nonNull).toList(), attempts);
                }
            };
        }
    }

    @Inject
    Dependencies readiness;

    @Inject
    MissionService missionService;

    private volatile boolean stopping;
    private Retrier retrier;

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    private Retrier retrier() {
        if (retrier == null) {
            retrier = Retrier.forever(Duration.ofMillis(200), Duration.ofSeconds(10), readiness, () -> stopping);
        }
        return retrier;
    }

    public <T> CompletionStage<Void> apply(String what, KafkaRecordBatch<String, T> batch, Function<T, String> missionOf, Handler<T> handler) {
        return apply(what, batch, missionOf, null, handler);
    }

    /**
     * As above; of the records with the same {@code latestOf} key only the last is applied (heartbeats). Returns the
     * batch's acknowledgement (its offsets are committed) or, when the planner stops before it could apply it, its
     * negative acknowledgement (the records stay for the next planner).
     */
    public <T> CompletionStage<Void> apply(String what, KafkaRecordBatch<String, T> batch, Function<T, String> missionOf, Function<T, Object> latestOf,
            Handler<T> handler) {
        try {
            applyBatch(what, batch, missionOf, latestOf, handler);
            return batch.ack();
        } catch (RuntimeException e) {
            return batch.nack(e);
        }
    }

    private <T> void applyBatch(String what, KafkaRecordBatch<String, T> batch, Function<T, String> missionOf, Function<T, Object> latestOf,
            Handler<T> handler) {
        List<KafkaRecord<String, T>> valid = new ArrayList<>(batch.getRecords().size());
        List<CompletableFuture<Void>> deadLettered = new ArrayList<>();
        for (KafkaRecord<String, T> record : batch) {
            if (record.getPayload() == null) {
                deadLettered.add(record.nack(new IllegalArgumentException(deserializationFailure(record))).toCompletableFuture());
            } else {
                valid.add(record);
            }
        }
        // Sent together, acknowledged together: a flood of unreadable records costs one round trip per batch.
        CompletableFuture.allOf(deadLettered.toArray(CompletableFuture[]::new)).join();
        if (latestOf != null) {
            Set<Object> seen = new HashSet<>();
            List<KafkaRecord<String, T>> latest = new ArrayList<>();
            for (int i = valid.size() - 1; i >= 0; i--) {
                if (seen.add(latestOf.apply(valid.get(i).getPayload()))) {
                    latest.add(0, valid.get(i));
                }
            }
            valid = latest;
        }
        applyAll(what, valid, missionOf, handler);
    }

    private <T> void applyAll(String what, List<KafkaRecord<String, T>> valid, Function<T, String> missionOf, Handler<T> handler) {
        if (valid.isEmpty()) {
            return;
        }
        try {
            retrier().run("postgresql", "applying " + valid.size() + " " + what, Transients::isTransient,
                    () -> transaction(valid, missionOf, handler));
        } catch (RuntimeException e) {
            if (stopping) {
                throw new NotProcessed("the planner stopped before it could apply " + what, e);
            }
            LOG.warnf("A batch of %d %s failed (%s); applying them one at a time", valid.size(), what, Transients.describe(e));
            for (KafkaRecord<String, T> record : valid) {
                try {
                    retrier().run("postgresql", "applying one of " + what, Transients::isTransient,
                            () -> transaction(List.of(record), missionOf, handler));
                } catch (RuntimeException one) {
                    if (stopping) {
                        throw new NotProcessed("the planner stopped before it could apply one of " + what, one);
                    }
                    deadLetter(record, new IllegalStateException("the planner could not apply it: " + Transients.describe(one), one));
                }
            }
        }
    }

    private <T> void transaction(List<KafkaRecord<String, T>> records, Function<T, String> missionOf, Handler<T> handler) {
        QuarkusTransaction.requiringNew().run(() -> {
            Instant now = Instant.now();
            TreeSet<String> missionIds = new TreeSet<>();
            records.forEach(record -> missionIds.add(missionOf.apply(record.getPayload())));
            Map<String, Mission> missions = new HashMap<>();
            for (String id : missionIds) {
                Mission.lock(id).filter(m -> !m.status.isFinished()).ifPresent(m -> missions.put(id, m));
            }
            handler.preload(records.stream().map(KafkaRecord::getPayload).filter(m -> missions.containsKey(missionOf.apply(m))).toList());
            for (KafkaRecord<String, T> record : records) {
                Mission mission = missions.get(missionOf.apply(record.getPayload()));
                if (mission != null && !mission.status.isFinished()) {
                    handler.apply(mission, record.getPayload(), now);
                }
            }
            for (String id : missionIds) {
                Mission mission = missions.get(id);
                if (mission != null) {
                    missionService.settle(mission, now);
                }
            }
        });
    }

    private static <T> void deadLetter(KafkaRecord<String, T> record, Throwable reason) {
        record.nack(reason).toCompletableFuture().join();
    }

    private static String deserializationFailure(KafkaRecord<String, ?> record) {
        var header = record.getHeaders().lastHeader("deserialization-failure-reason");
        return header == null ? "the record could not be read"
                : new String(header.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

}
