package io.opencodefleet.planner.mission;

import java.util.EnumSet;
import java.util.Set;

/**
 * PENDING (waits on dependencies, a free slot or a backoff) → QUEUED (assignment published) → RUNNING (first
 * heartbeat) → REVIEWING (result in, review requested) → DONE; or back to PENDING for another attempt, or
 * FAILED (attempts spent) / CANCELLED. Each waiting state has a deadline the planner re-drives.
 */
public enum TaskState {
    PENDING, QUEUED, RUNNING, REVIEWING, DONE, FAILED, CANCELLED;

    public static final Set<TaskState> IN_FLIGHT = EnumSet.of(QUEUED, RUNNING, REVIEWING);
    public static final Set<TaskState> FINISHED = EnumSet.of(DONE, FAILED, CANCELLED);

    public boolean isInFlight() {
        return IN_FLIGHT.contains(this);
    }

    public boolean isFinished() {
        return FINISHED.contains(this);
    }

    /** The moves the lifecycle allows; anything else is a bug and is refused. */
    boolean mayMoveTo(TaskState next) {
        return switch (this) {
            case PENDING -> next == QUEUED || next == CANCELLED || next == FAILED;
            case QUEUED -> next == QUEUED || next == RUNNING || next == REVIEWING || next == PENDING || next == FAILED || next == CANCELLED;
            case RUNNING -> next == REVIEWING || next == PENDING || next == FAILED || next == CANCELLED;
            case REVIEWING -> next == REVIEWING || next == DONE || next == PENDING || next == FAILED || next == CANCELLED;
            case FAILED, CANCELLED -> next == PENDING;
            case DONE -> false;
        };
    }
}
