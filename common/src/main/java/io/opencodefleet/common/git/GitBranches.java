package io.opencodefleet.common.git;

/**
 * The fleet's git names: integration branch {@code fleet/<missionId>} per mission, task branch
 * {@code fleet-tasks/<missionId>/<taskId>/a<attempt>} per attempt, and commit trailers. Task branches live
 * outside {@code fleet/}: git cannot hold {@code fleet/m} and {@code fleet/m/t/a1} at once (a ref is a file,
 * and it cannot also be a directory).
 */
public final class GitBranches {

    public static final String TRAILER_MISSION = "Fleet-Mission";
    public static final String TRAILER_TASK = "Fleet-Task";
    public static final String TRAILER_ATTEMPT = "Fleet-Attempt";

    public static String integration(String missionId) {
        return "fleet/" + missionId;
    }

    public static String task(String missionId, String taskId, int attempt) {
        return "fleet-tasks/" + missionId + "/" + taskId + "/a" + attempt;
    }

    /** The trailer block every fleet commit ends with. */
    public static String trailers(String missionId, String taskId, int attempt) {
        return TRAILER_MISSION + ": " + missionId + "\n" + TRAILER_TASK + ": " + taskId + "\n" + TRAILER_ATTEMPT + ": " + attempt;
    }

    private GitBranches() {
    }
}
