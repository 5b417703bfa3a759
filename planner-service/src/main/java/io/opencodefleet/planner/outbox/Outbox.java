package io.opencodefleet.planner.outbox;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.FleetMessage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;

/**
 * Writes messages into the outbox inside the caller's transaction: the state change and the messages it causes
 * commit together or not at all. The relay is woken once that transaction commits, so a dispatch waits on no
 * timer. A message the planner waits on (an assignment, a review request) is {@code tracked}: the relay records
 * where it landed on the broker ({@link Delivery}), so a deadline can tell a waiting message from a lost one.
 */
@ApplicationScoped
public class Outbox {

    /** CDI event fired per written message; observed after commit by {@link OutboxRelay}. */
    public record Written() {
    }

    /** CDI event: the broker refused a tracked message for good; its waiting state will not be answered. */
    public record Parked(String tracks, String reason) {
    }

    @Inject
    Event<Written> written;

    @Transactional(Transactional.TxType.MANDATORY)
    public void publish(String topic, String key, FleetMessage message) {
        publish(topic, key, message, null);
    }

    /** Publishes a message whose delivery the planner tracks under {@code tracks} (see {@link Delivery#key}). */
    @Transactional(Transactional.TxType.MANDATORY)
    public void publish(String topic, String key, FleetMessage message, String tracks) {
        OutboxMessage row = new OutboxMessage();
        row.topic = topic;
        row.key = key;
        row.payload = FleetJson.write(message);
        row.tracks = tracks;
        row.createdAt = Instant.now();
        row.persist();
        written.fire(new Written());
    }
}
