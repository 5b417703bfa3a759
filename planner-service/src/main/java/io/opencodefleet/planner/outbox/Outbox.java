package io.opencodefleet.planner.outbox;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.FleetMessage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.Transactional;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.Session;

/**
 * Writes messages into the outbox inside the caller's transaction: the state change and the messages it causes
 * commit together or not at all. The rows are inserted together, in the order they were published, just before the
 * transaction commits (one batch instead of a round trip each; their ids come from the database then, so a mission's
 * messages, written under its row lock, are numbered in commit order). The relay is woken once that transaction
 * commits, so a dispatch waits on no timer. A message the planner waits on (an assignment, a review request) is
 * {@code tracked}: the relay records where it landed on the broker ({@link Delivery}), so a deadline can tell a
 * waiting message from a lost one.
 */
@ApplicationScoped
public class Outbox {

    /** CDI event fired per written message; observed after commit by {@link OutboxRelay}. */
    public record Written() {
    }

    /** CDI event: the broker refused a tracked message for good; its waiting state will not be answered. */
    public record Parked(String tracks, String reason) {
    }

    private record Row(String topic, String key, String payload, String tracks) {
    }

    @Inject
    Event<Written> written;

    @Inject
    TransactionSynchronizationRegistry transactions;

    @Inject
    EntityManager em;

    @Transactional(Transactional.TxType.MANDATORY)
    public void publish(String topic, String key, FleetMessage message) {
        publish(topic, key, message, null);
    }

    /** Publishes a message whose delivery the planner tracks under {@code tracks} (see {@link Delivery#key}). */
    @Transactional(Transactional.TxType.MANDATORY)
    public void publish(String topic, String key, FleetMessage message, String tracks) {
        pending().rows.add(new Row(topic, key, FleetJson.write(message), tracks));
        written.fire(new Written());
    }

    /** Publishes during {@link #beforeWriting} work. */
    public interface Writer {
        void publish(String topic, String key, FleetMessage message);
    }

    /**
     * Work that must happen in this transaction just before its messages are written, on its connection, and may
     * publish more: for instance numbering and storing the events it recorded, which it then publishes.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void beforeWriting(java.util.function.Consumer<Writer> work) {
        pending().before.add(work);
        written.fire(new Written());
    }

    /** Whether a tracked message waits in the outbox to be sent: stored, or written by this transaction. */
    public boolean pending(String tracks) {
        if (transactions.getTransactionKey() != null && transactions.getResource(Pending.class) instanceof Pending mine
                && mine.rows.stream().anyMatch(row -> tracks.equals(row.tracks()))) {
            return true;
        }
        return OutboxMessage.pending(tracks);
    }

    private Pending pending() {
        Pending pending = (Pending) transactions.getResource(Pending.class);
        if (pending == null) {
            pending = new Pending();
            transactions.putResource(Pending.class, pending);
            transactions.registerInterposedSynchronization(pending);
        }
        return pending;
    }

    /** One transaction's messages, inserted in one batch before it commits. */
    private final class Pending implements Synchronization {
        private final List<Row> rows = new ArrayList<>();
        private final List<java.util.function.Consumer<Writer>> before = new ArrayList<>();

        @Override
        public void beforeCompletion() {
            if (transactions.getTransactionStatus() != Status.STATUS_ACTIVE) {
                return; // rolling back: nothing is written
            }
            Writer writer = (topic, key, message) -> rows.add(new Row(topic, key, FleetJson.write(message), null));
            for (var work : before) {
                work.accept(writer);
            }
            if (rows.isEmpty()) {
                return;
            }
            java.time.OffsetDateTime now = Instant.now().atOffset(java.time.ZoneOffset.UTC);
            em.unwrap(Session.class).doWork(connection -> {
                try (PreparedStatement insert = connection.prepareStatement(
                        "insert into outbox (topic, message_key, payload, tracks, created_at) values (?, ?, ?, ?, ?)")) {
                    for (Row row : rows) {
                        insert.setString(1, row.topic());
                        insert.setString(2, row.key());
                        insert.setString(3, row.payload());
                        insert.setString(4, row.tracks());
                        insert.setObject(5, now);
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
            });
        }

        @Override
        public void afterCompletion(int status) {
        }
    }
}
