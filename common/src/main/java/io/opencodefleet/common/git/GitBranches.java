package io.opencodefleet.common.git;

/** The git names the design fixes: integration branch per mission, task branch per attempt, commit trailers. */
public final class GitBranches {

    public static final String TRAILER_MISSION = "Fleet-Mission";
    public static final String TRAILER_TASK = "Fleet-Task";
    public static final String TRAILER_ATTEMPT = "Fleet-Attempt";

    public static String integration(String missionId) {
        return "fleet/" + missionId;
    }

    public static String task(String missionId, String taskId, int attempt) {
        return "fleet/" + missionId + "/" + taskId + "/a" + attempt;
    }

    /** The trailer block every fleet commit ends with. */
    public static String trailers(String missionId, String taskId, int attempt) {
        return TRAILER_MISSION + ": " + missionId + "\n" + TRAILER_TASK + ": " + taskId + "\n" + TRAILER_ATTEMPT + ": " + attempt;
    }

    private GitBranches() {
    }
}
