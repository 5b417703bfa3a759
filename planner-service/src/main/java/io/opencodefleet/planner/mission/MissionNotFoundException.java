package io.opencodefleet.planner.mission;

/** No mission (or task) with that id: the API answers 404. */
public class MissionNotFoundException extends RuntimeException {

    public MissionNotFoundException(String id) {
        super("no mission or task with id '" + id + "'");
    }
}
