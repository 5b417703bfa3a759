package io.opencodefleet.planner.outbox;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.FleetMessage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;

/**
 * Writes messages into the outbox inside the caller's transaction. The relay is woken once that
 * transaction commits, so a dispatch waits on no timer.
 */
@ApplicationScoped
public class Outbox {

    /** CDI event fired per written message; observed after commit by {@link OutboxRelay}. */
    public record Written() {
    }

    @Inject
    Event<Written> written;

    @Transactional(Transactional.TxType.MANDATORY)
    public void publish(String topic, String key, FleetMessage message) {
        OutboxMessage row = new OutboxMessage();
        row.topic = topic;
        row.key = key;
        row.payload = FleetJson.write(message);
        row.createdAt = Instant.now();
        row.persist();
        written.fire(new Written());
    }
}
