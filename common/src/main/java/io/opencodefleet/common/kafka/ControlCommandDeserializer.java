package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.ControlCommand;

/** Reads and validates {@link ControlCommand} records. */
public class ControlCommandDeserializer extends FleetDeserializer<ControlCommand> {

    public ControlCommandDeserializer() {
        super(ControlCommand.class);
    }
}
