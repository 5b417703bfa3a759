package io.opencodefleet.common.messages;

/** How a worker's attempt at a task ended. */
public enum TaskStatus {
    SUCCEEDED, FAILED, TIMED_OUT, CANCELLED
}
