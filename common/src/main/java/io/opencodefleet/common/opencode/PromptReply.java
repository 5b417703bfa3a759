package io.opencodefleet.common.opencode;

import io.opencodefleet.common.messages.Usage;
import java.util.Optional;

/**
 * How the agent answered one prompt: OpenCode answers {@code POST /session/{id}/message} when the agent's
 * loop finished (or failed, or was aborted).
 *
 * @param sessionId the session
 * @param messageId the final assistant message
 * @param text the final assistant message's text
 * @param usage tokens of every model call this prompt caused (all steps of the agent loop)
 * @param cost cost in USD of those calls, as OpenCode prices them
 * @param steps how many assistant messages (model calls that completed a step) the prompt caused
 * @param finish the final message's finish reason ({@code stop}, {@code tool-calls}, ...), may be null
 * @param error the error the final message carries, or null when the agent finished normally
 */
public record PromptReply(String sessionId, String messageId, String text, TokenUsage usage, double cost,
        int steps, String finish, AgentError error) {

    /** True when the agent finished without an error. */
    public boolean completed() {
        return error == null;
    }

    public boolean aborted() {
        return error != null && error.aborted();
    }

    /** The fleet's usage record: cache reads and writes count as input, reasoning as output. */
    public Usage fleetUsage() {
        return new Usage(usage.input() + usage.cacheRead() + usage.cacheWrite(), usage.output() + usage.reasoning(), cost);
    }

    public Optional<AgentError> failure() {
        return Optional.ofNullable(error);
    }
}
