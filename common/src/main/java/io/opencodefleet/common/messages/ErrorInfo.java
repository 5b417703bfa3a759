package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/**
 * Why a task did not succeed: {@code kind} says whose trouble it was, {@code message} says what happened.
 * The agent's own failures ({@link #AGENT}, {@link #TIMEOUT}, {@link #PLAN}) use up one of the task's attempts;
 * the fleet's ({@link #INFRASTRUCTURE}: workspace, git remote, OpenCode or the model provider failing;
 * {@link #RELEASED}: handed back by a worker that is shutting down; {@link #CANCELLED}) do not.
 */
public record ErrorInfo(@NotBlank @Size(max = 64) String kind, @Size(max = Sizes.ERROR) String message) {

    public static final String AGENT = "agent";
    public static final String TIMEOUT = "timeout";
    public static final String PLAN = "plan";
    public static final String INFRASTRUCTURE = "infrastructure";
    public static final String RELEASED = "released";
    public static final String CANCELLED = "cancelled";

    public ErrorInfo {
        message = Sizes.cut(message, Sizes.ERROR);
    }

    public static ErrorInfo of(String kind, String message) {
        return new ErrorInfo(kind, message);
    }

    /** True when the failure is the agent's own work (it uses up an attempt). */
    public boolean agentsFault() {
        return AGENT.equals(kind) || TIMEOUT.equals(kind) || PLAN.equals(kind);
    }
}
