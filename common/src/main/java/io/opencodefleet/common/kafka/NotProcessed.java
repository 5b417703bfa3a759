package io.opencodefleet.common.kafka;

/**
 * Thrown by a handler that could not finish a good record for a passing reason (the service is stopping while the
 * broker or database is away): {@link FleetDeadLetters} leaves the record unacknowledged instead of dead-lettering
 * it, so its offset is not committed and Kafka delivers it again, here after a restart or to another member.
 */
public class NotProcessed extends RuntimeException {

    public NotProcessed(String message, Throwable cause) {
        super(message, cause);
    }
}
