package io.opencodefleet.planner.outbox;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox in order with an idempotent producer and deletes what the broker acknowledged.
 * Woken after every commit that wrote to the outbox, with a slow poll as a safety net (crash recovery,
 * another instance's rows). A PostgreSQL advisory lock keeps one relay active across planner replicas,
 * which preserves per-key order. A crash between send and delete re-sends: consumers are idempotent.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final long ADVISORY_LOCK_KEY = 0x0F1EE7_0B0L;
    private static final int BATCH = 500;

    @Inject
    EntityManager em;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "fleet.outbox.poll-ms", defaultValue = "1000")
    long pollMs;

    private final Semaphore wake = new Semaphore(0);
    private volatile boolean running;
    private KafkaProducer<String, String> producer;
    private Thread thread;

    void start(@Observes StartupEvent event) {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.CLIENT_ID_CONFIG, "fleet-planner-outbox"),
                new StringSerializer(), new StringSerializer());
        running = true;
        thread = new Thread(this::loop, "outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        running = false;
        wake.release();
        if (thread != null) {
            thread.join(5_000);
        }
        if (producer != null) {
            producer.close();
        }
    }

    void onWritten(@Observes(during = TransactionPhase.AFTER_SUCCESS) Outbox.Written written) {
        wake.release();
    }

    private void loop() {
        while (running) {
            try {
                wake.tryAcquire(pollMs, TimeUnit.MILLISECONDS);
                wake.drainPermits();
                while (running && relayBatch() == BATCH) {
                    // a full batch: there may be more
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warn("Outbox relay failed; retrying", e);
                sleepQuietly();
            }
        }
    }

    /** Sends one batch and deletes it in one transaction; returns how many rows it relayed. */
    int relayBatch() {
        return QuarkusTransaction.requiringNew().call(() -> {
            Boolean leader = (Boolean) em.createNativeQuery("select pg_try_advisory_xact_lock(?1)")
                    .setParameter(1, ADVISORY_LOCK_KEY).getSingleResult();
            if (!Boolean.TRUE.equals(leader)) {
                return 0;
            }
            @SuppressWarnings("unchecked")
            List<Object[]> rows = em.createNativeQuery("select id, topic, message_key, payload from outbox order by id limit " + BATCH)
                    .getResultList();
            if (rows.isEmpty()) {
                return 0;
            }
            List<Future<RecordMetadata>> sent = new ArrayList<>(rows.size());
            List<Long> ids = new ArrayList<>(rows.size());
            for (Object[] row : rows) {
                ids.add(((Number) row[0]).longValue());
                sent.add(producer.send(new ProducerRecord<>((String) row[1], (String) row[2], (String) row[3])));
            }
            producer.flush();
            for (Future<RecordMetadata> future : sent) {
                future.get(30, TimeUnit.SECONDS);
            }
            em.createNativeQuery("delete from outbox where id = any(?1)")
                    .setParameter(1, ids.toArray(new Long[0])).executeUpdate();
            return rows.size();
        });
    }

    private void sleepQuietly() {
        try {
            Thread.sleep(pollMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
