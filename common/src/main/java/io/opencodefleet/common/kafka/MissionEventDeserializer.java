package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.MissionEvent;

/** Reads and validates {@link MissionEvent} records. */
public class MissionEventDeserializer extends FleetDeserializer<MissionEvent> {

    public MissionEventDeserializer() {
        super(MissionEvent.class);
    }
}
