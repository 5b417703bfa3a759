package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.redact.Redactor;
import io.opencodefleet.planner.outbox.Outbox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.Session;

/**
 * Records lifecycle events and publishes them to {@code fleet.events} through the outbox, in the caller's
 * transaction: the stored event and the published one are the same, with the same {@code seq}. A transaction's
 * events are numbered, stored and published together just before it commits (its mission's row lock still held,
 * so one mission's events are numbered in the order they happened).
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class MissionEvents {

    private static final String INSERT = "insert into mission_event (seq, mission_id, event, task_id, attempt, at, detail) values (?, ?, ?, ?, ?, ?, ?)";

    @Inject
    Outbox outbox;

    @Inject
    Redactor redactor;

    @Inject
    TransactionSynchronizationRegistry transactions;

    @Inject
    EntityManager em;

    /** One transaction's events, in the order they happened. */
    private static final class Recorded {
        final List<MissionEvent> events = new ArrayList<>();
    }

    public void mission(String missionId, MissionEvent.Kind kind, String detail) {
        task(missionId, kind, null, null, detail);
    }

    public void task(String missionId, MissionEvent.Kind kind, String taskId, Integer attempt, String detail) {
        recorded().events.add(new MissionEvent(missionId, kind, taskId, attempt, Instant.now().truncatedTo(ChronoUnit.MICROS), Sizes.cut(redactor.redact(detail), Sizes.FEEDBACK), null));
    }

    private Recorded recorded() {
        Recorded recorded = (Recorded) transactions.getResource(Recorded.class);
        if (recorded == null) {
            Recorded mine = new Recorded();
            transactions.putResource(Recorded.class, mine);
            outbox.beforeWriting(writer -> store(mine.events, writer));
            recorded = mine;
        }
        return recorded;
    }

    /** Numbers the events from the table's sequence (one query), stores them (one batch) and publishes each. */
    private void store(List<MissionEvent> events, Outbox.Writer writer) {
        em.unwrap(Session.class).doWork(connection -> {
            long[] seqs = new long[events.size()];
            try (PreparedStatement next = connection.prepareStatement(
                    "select nextval(pg_get_serial_sequence('mission_event', 'seq')) from generate_series(1, ?) order by 1")) {
                next.setInt(1, events.size());
                try (ResultSet numbers = next.executeQuery()) {
                    for (int i = 0; numbers.next(); i++) {
                        seqs[i] = numbers.getLong(1);
                    }
                }
            }
            try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
                for (int i = 0; i < events.size(); i++) {
                    MissionEvent event = events.get(i);
                    insert.setLong(1, seqs[i]);
                    insert.setString(2, event.missionId());
                    insert.setString(3, event.event().name());
                    insert.setString(4, event.taskId());
                    if (event.attempt() == null) {
                        insert.setNull(5, Types.INTEGER);
                    } else {
                        insert.setInt(5, event.attempt());
                    }
                    insert.setObject(6, event.at().atOffset(ZoneOffset.UTC));
                    insert.setString(7, event.detail());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            for (int i = 0; i < events.size(); i++) {
                MissionEvent event = events.get(i);
                writer.publish(Topics.EVENTS, event.missionId(), new MissionEvent(event.missionId(), event.event(), event.taskId(),
                        event.attempt(), event.at(), event.detail(), seqs[i]));
            }
        });
    }
}
