package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.common.redact.Redactor;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.planner.outbox.Outbox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;

/**
 * Records lifecycle events and publishes them to {@code fleet.events} through the outbox, in the caller's
 * transaction: the stored event and the published one are the same, with the same {@code seq}.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class MissionEvents {

    @Inject
    Outbox outbox;

    @Inject
    Redactor redactor;

    public void mission(String missionId, MissionEvent.Kind kind, String detail) {
        task(missionId, kind, null, null, detail);
    }

    public void task(String missionId, MissionEvent.Kind kind, String taskId, Integer attempt, String detail) {
        MissionEventRecord record = new MissionEventRecord();
        record.missionId = missionId;
        record.event = kind;
        record.taskId = taskId;
        record.attempt = attempt;
        record.at = Instant.now();
        record.detail = Sizes.cut(redactor.redact(detail), Sizes.FEEDBACK);
        record.persist();
        outbox.publish(Topics.EVENTS, missionId, record.toMessage());
    }
}
