package io.opencodefleet.planner.mission;

/** The request does not fit the mission's state (resume a running mission, retry a done task): 409. */
public class MissionStateException extends RuntimeException {

    public MissionStateException(String message) {
        super(message);
    }
}
