package io.opencodefleet.planner.outbox;

import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.hibernate.Session;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox in order with an idempotent producer, records where tracked messages landed, and deletes
 * what the broker acknowledged, in one transaction per batch. Woken after every commit that wrote to the outbox,
 * with a poll as a safety net (crash recovery, another replica's rows). A PostgreSQL advisory lock keeps one relay
 * active across planner replicas, which preserves per-key order. A crash between send and delete re-sends:
 * consumers are idempotent. A row the broker refuses for good (too large, say) is parked with the reason and
 * counted ({@code fleet_outbox_parked_total}, alerted on), and the relay goes on with the rest.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final long ADVISORY_LOCK_KEY = 0x0F1EE7_0B0L;
    static final int BATCH = 500;

    @Inject
    EntityManager em;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    ManagedExecutor executor;

    @Inject
    PlannerMetrics metrics;

    @Inject
    Event<Outbox.Parked> parked;

    private final AtomicBoolean pending = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger nextTaskPartition = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile boolean stopped;
    private Producer<String, String> producer;

    private synchronized Producer<String, String> producer() {
        if (producer == null) {
            Map<String, Object> config = new HashMap<>(kafkaConfig);
            config.remove("group.id");
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
            config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            config.put(ProducerConfig.CLIENT_ID_CONFIG, "fleet-planner-outbox");
            producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
        }
        return producer;
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        Producer<String, String> current;
        synchronized (this) {
            current = producer;
        }
        if (current != null) {
            current.close(java.time.Duration.ofSeconds(5));
        }
    }

    void onWritten(@Observes(during = TransactionPhase.AFTER_SUCCESS) Outbox.Written written) {
        trigger();
    }

    @Scheduled(every = "${fleet.outbox.poll:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void poll() {
        trigger();
    }

    /** Runs the relay unless it runs already; a run started meanwhile is not lost (pending). */
    private void trigger() {
        pending.set(true);
        if (!stopped && draining.compareAndSet(false, true)) {
            executor.execute(this::drain);
        }
    }

    private void drain() {
        try {
            while (!stopped && pending.getAndSet(false)) {
                while (!stopped && relayBatch() == BATCH) {
                    // a full batch: there may be more
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf("Outbox relay failed (the poll retries): %s", e.getMessage());
            LOG.debug("Outbox relay failure", e);
        } finally {
            draining.set(false);
        }
        if (!stopped && pending.get() && draining.compareAndSet(false, true)) {
            executor.execute(this::drain);
        }
    }

    /** Sends one batch, records deliveries and deletes what was sent, in one transaction; returns how many rows it read. */
    int relayBatch() {
        List<Outbox.Parked> refused = new ArrayList<>();
        int read = QuarkusTransaction.requiringNew().call(() -> {
            Boolean leader = (Boolean) em.createNativeQuery("select pg_try_advisory_xact_lock(?1)")
                    .setParameter(1, ADVISORY_LOCK_KEY).getSingleResult();
            if (!Boolean.TRUE.equals(leader)) {
                return 0;
            }
            @SuppressWarnings("unchecked")
            List<Object[]> rows = em.createNativeQuery("select id, topic, message_key, payload, tracks from outbox"
                    + " where parked_at is null order by id limit " + BATCH).getResultList();
            if (rows.isEmpty()) {
                return 0;
            }
            List<Future<RecordMetadata>> sent = new ArrayList<>(rows.size());
            for (Object[] row : rows) {
                sent.add(send((String) row[1], (String) row[2], (String) row[3]));
            }
            producer().flush();
            List<Long> done = new ArrayList<>(rows.size());
            List<Object[]> deliveries = new ArrayList<>();
            Map<Long, String> parkedRows = new HashMap<>();
            for (int i = 0; i < rows.size(); i++) {
                Object[] row = rows.get(i);
                long id = ((Number) row[0]).longValue();
                try {
                    RecordMetadata metadata = sent.get(i).get(30, TimeUnit.SECONDS);
                    done.add(id);
                    if (row[4] != null) {
                        deliveries.add(new Object[] {row[4], metadata.topic(), metadata.partition(), metadata.offset()});
                    }
                } catch (ExecutionException e) {
                    if (!isPermanent(e.getCause())) {
                        // The broker is unavailable: keep this row and those after it for the next run, in order.
                        LOG.debugf("Outbox row %d not sent yet: %s", id, e.getCause());
                        break;
                    }
                    String reason = e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage();
                    parkedRows.put(id, reason);
                    if (row[4] != null) {
                        refused.add(new Outbox.Parked((String) row[4], reason));
                    }
                }
            }
            record(done, deliveries, parkedRows);
            return rows.size();
        });
        refused.forEach(parked::fire);
        return read;
    }

    private Future<RecordMetadata> send(String topic, String key, String payload) {
        try {
            return producer().send(new ProducerRecord<>(topic, partitionOf(topic), key, payload));
        } catch (RuntimeException e) {
            java.util.concurrent.CompletableFuture<RecordMetadata> failed = new java.util.concurrent.CompletableFuture<>();
            failed.completeExceptionally(e);
            return failed;
        }
    }

    /**
     * Assignments are dealt round the partitions of {@code fleet.tasks} in turn, not hashed by their key (the task
     * id): a worker owns whole partitions, and common task ids ("tests", "docs") of many missions would otherwise pile
     * onto a few partitions, and so onto a few workers, while others idle. Everything else goes by its key (a
     * mission's reviews and verdicts stay in order on one partition).
     */
    private Integer partitionOf(String topic) {
        if (!Topics.TASKS.equals(topic)) {
            return null;
        }
        int partitions = producer().partitionsFor(topic).size();
        return partitions <= 1 ? null : Math.floorMod(nextTaskPartition.getAndIncrement(), partitions);
    }

    private static boolean isPermanent(Throwable error) {
        return error instanceof RecordTooLargeException || error instanceof SerializationException
                || error instanceof InvalidTopicException;
    }

    private void record(List<Long> done, List<Object[]> deliveries, Map<Long, String> parkedRows) {
        Timestamp now = Timestamp.from(Instant.now());
        em.unwrap(Session.class).doWork(connection -> {
            if (!deliveries.isEmpty()) {
                try (PreparedStatement upsert = connection.prepareStatement("insert into delivery"
                        + " (tracks, mission_id, topic, partition_no, offset_no, sent_at) values (?, ?, ?, ?, ?, ?)"
                        + " on conflict (tracks) do update set topic = excluded.topic, partition_no = excluded.partition_no,"
                        + " offset_no = excluded.offset_no, sent_at = excluded.sent_at")) {
                    for (Object[] delivery : deliveries) {
                        upsert.setString(1, (String) delivery[0]);
                        upsert.setString(2, Delivery.missionOf((String) delivery[0]));
                        upsert.setString(3, (String) delivery[1]);
                        upsert.setInt(4, (Integer) delivery[2]);
                        upsert.setLong(5, (Long) delivery[3]);
                        upsert.setTimestamp(6, now);
                        upsert.addBatch();
                    }
                    upsert.executeBatch();
                }
            }
            if (!done.isEmpty()) {
                try (PreparedStatement delete = connection.prepareStatement("delete from outbox where id = any(?)")) {
                    delete.setArray(1, connection.createArrayOf("bigint", done.toArray()));
                    delete.executeUpdate();
                }
            }
            if (!parkedRows.isEmpty()) {
                try (PreparedStatement park = connection.prepareStatement(
                        "update outbox set parked_at = ?, parked_reason = ? where id = ?")) {
                    for (var entry : parkedRows.entrySet()) {
                        park.setTimestamp(1, now);
                        park.setString(2, entry.getValue());
                        park.setLong(3, entry.getKey());
                        park.addBatch();
                        LOG.errorf("Outbox row %d parked: the broker refused it for good: %s", entry.getKey(), entry.getValue());
                    }
                    park.executeBatch();
                }
                metrics.outboxParked(parkedRows.size());
            }
        });
    }
}
