package io.opencodefleet.planner.task;

/**
 * PENDING (waits on dependencies or a free slot) → QUEUED (assignment published) → RUNNING (first
 * heartbeat) → REVIEWING (result in) → DONE, or back to QUEUED with attempt+1, or FAILED / CANCELLED.
 */
public enum TaskState {
    PENDING, QUEUED, RUNNING, REVIEWING, DONE, FAILED, CANCELLED;

    public boolean isInFlight() {
        return this == QUEUED || this == RUNNING || this == REVIEWING;
    }

    public boolean isFinished() {
        return this == DONE || this == FAILED || this == CANCELLED;
    }
}
