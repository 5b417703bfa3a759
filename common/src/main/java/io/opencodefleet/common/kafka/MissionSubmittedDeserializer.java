package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.MissionSubmitted;

/** Reads and validates {@link MissionSubmitted} records. */
public class MissionSubmittedDeserializer extends FleetDeserializer<MissionSubmitted> {

    public MissionSubmittedDeserializer() {
        super(MissionSubmitted.class);
    }
}
