package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.TaskAssignment;

/** Reads and validates {@link TaskAssignment} records. */
public class TaskAssignmentDeserializer extends FleetDeserializer<TaskAssignment> {

    public TaskAssignmentDeserializer() {
        super(TaskAssignment.class);
    }
}
