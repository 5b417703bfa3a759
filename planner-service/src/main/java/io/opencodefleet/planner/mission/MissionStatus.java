package io.opencodefleet.planner.mission;

/** SUBMITTED → PLANNING → RUNNING → SEALED | FAILED | CANCELLED, and PAUSED (intervene policy). */
public enum MissionStatus {
    SUBMITTED, PLANNING, RUNNING, PAUSED, SEALED, FAILED, CANCELLED;

    public boolean isFinished() {
        return this == SEALED || this == FAILED || this == CANCELLED;
    }

    /** PLANNING and RUNNING move on by themselves; PAUSED waits for a person, finished ones for nothing. */
    public boolean isActive() {
        return this == PLANNING || this == RUNNING;
    }
}
