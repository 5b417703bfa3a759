package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.TaskProgress;

/** Reads and validates {@link TaskProgress} records. */
public class TaskProgressDeserializer extends FleetDeserializer<TaskProgress> {

    public TaskProgressDeserializer() {
        super(TaskProgress.class);
    }
}
