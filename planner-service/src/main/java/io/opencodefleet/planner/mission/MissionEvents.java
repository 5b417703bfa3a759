package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.planner.outbox.Outbox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;

/** Publishes lifecycle events to {@code fleet.events} through the outbox, in the caller's transaction. */
@ApplicationScoped
public class MissionEvents {

    @Inject
    Outbox outbox;

    public void mission(String missionId, MissionEvent.Kind kind, String detail) {
        outbox.publish(Topics.EVENTS, missionId, new MissionEvent(missionId, kind, null, null, Instant.now(), detail));
    }

    public void task(String missionId, MissionEvent.Kind kind, String taskId, int attempt, String detail) {
        outbox.publish(Topics.EVENTS, missionId, new MissionEvent(missionId, kind, taskId, attempt, Instant.now(), detail));
    }
}
