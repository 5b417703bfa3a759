package io.opencodefleet.planner.mission;

/**
 * Why an attempt ended without being merged. The agent's own bad work ({@link Kind#AGENT}: the reviewer
 * rejected it, it failed, timed out or changed nothing) uses up one of the task's attempts; the fleet's trouble
 * ({@link Kind#INFRASTRUCTURE}: a workspace, git remote, OpenCode or model provider failing, a review that could
 * not run, a lease that expired; {@link Kind#RELEASED}: a worker that was shutting down handed the task back)
 * only fences the attempt and tries again.
 *
 * @param feedback what the next attempt's prompt should say about this one (null keeps the previous feedback)
 */
public record Fault(Kind kind, String reason, String feedback) {

    public enum Kind {
        AGENT, INFRASTRUCTURE, RELEASED
    }

    public static Fault agent(String reason, String feedback) {
        return new Fault(Kind.AGENT, reason, feedback);
    }

    public static Fault infrastructure(String reason) {
        return new Fault(Kind.INFRASTRUCTURE, reason, null);
    }

    public static Fault released(String reason) {
        return new Fault(Kind.RELEASED, reason, null);
    }

    public boolean charged() {
        return kind == Kind.AGENT;
    }
}
