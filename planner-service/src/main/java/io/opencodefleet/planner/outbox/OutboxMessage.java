package io.opencodefleet.planner.outbox;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A message written in the same transaction as the state change that caused it, waiting for the relay; or,
 * when the broker refused it for good, parked with the reason (an operator looks at those).
 */
@Entity
@Table(name = "outbox")
public class OutboxMessage extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    public String topic;
    @Column(name = "message_key")
    public String key;
    public String payload;
    public String tracks;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "parked_at")
    public Instant parkedAt;
    @Column(name = "parked_reason")
    public String parkedReason;

    /** Whether a tracked message still waits in the outbox to be sent. */
    public static boolean pending(String tracks) {
        return count("tracks = ?1 and parkedAt is null", tracks) > 0;
    }
}
