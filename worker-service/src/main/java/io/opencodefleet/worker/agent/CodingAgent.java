package io.opencodefleet.worker.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.LongConsumer;

/** A coding agent that works in a directory until it answers a prompt: here, OpenCode. */
public interface CodingAgent {

    /**
     * Starts a session of {@code missionId}'s work in {@code directory} and sends {@code prompt} to {@code agent}
     * (null = the default coding agent); {@link AgentRun#await()} blocks until the reply, the timeout, or
     * {@link AgentRun#abort()}. {@code onTokens} hears the running token count for heartbeats.
     */
    AgentRun start(Path directory, String missionId, String title, String model, String agent, String prompt, Duration timeout,
            LongConsumer onTokens);

    /** Where a person can attach to the sessions in {@code directory} ({@code opencode attach <url>}), if anywhere. */
    String attachUrl(Path directory);

    /** The OpenCode server behind the slot named {@code slot} ({@code slot-1}, ...), for the attach proxy; none by default. */
    default java.util.Optional<io.opencodefleet.common.opencode.OpencodeEndpoint> endpoint(String slot) {
        return java.util.Optional.empty();
    }
}
