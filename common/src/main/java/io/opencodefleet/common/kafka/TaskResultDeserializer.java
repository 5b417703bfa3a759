package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.TaskResult;

/** Reads and validates {@link TaskResult} records. */
public class TaskResultDeserializer extends FleetDeserializer<TaskResult> {

    public TaskResultDeserializer() {
        super(TaskResult.class);
    }
}
