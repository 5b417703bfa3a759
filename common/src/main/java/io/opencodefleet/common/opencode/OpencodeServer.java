package io.opencodefleet.common.opencode;

import java.util.Optional;

/**
 * An OpenCode server the fleet's agents work on: one this process runs and keeps healthy ({@link #start},
 * {@link ManagedOpencodeServer}), or one someone else runs ({@link #attach}, {@link AttachedOpencodeServer}).
 *
 * <pre>{@code
 * try (OpencodeServer server = OpencodeServer.start(OpencodeServerSettings.of(binary, stateDir))) {
 *     OpencodeClient client = server.client();
 *     OpencodeSession session = client.createSession(workspace, "task 42");
 *     PromptReply reply = client.prompt(session, "anthropic/claude-sonnet-4", prompt);
 * }
 * }</pre>
 */
public interface OpencodeServer extends AutoCloseable {

    /** The read-only agent that plans a mission: it may read the repository, never change it. */
    String PLANNER_AGENT = "fleet-planner";
    /** The read-only agent that reviews a merged change. */
    String REVIEWER_AGENT = "fleet-reviewer";

    /** Starts an {@code opencode serve} of our own and waits until it answers {@code /global/health}. */
    static ManagedOpencodeServer start(OpencodeServerSettings settings) {
        return ManagedOpencodeServer.start(settings);
    }

    /** Uses a server someone else runs ({@code fleet.opencode.url}); {@link #close()} leaves it running. */
    static OpencodeServer attach(OpencodeEndpoint endpoint) {
        return new AttachedOpencodeServer(endpoint);
    }

    /** Where the server answers now (a managed server moves to a new port when it restarts). */
    OpencodeEndpoint endpoint();

    /** A client that always talks to the current server. */
    OpencodeClient client();

    /**
     * Makes sure the server can take a session (call it between tasks): a managed server is restarted when it is not
     * healthy, which kills the sessions running on it.
     *
     * @return why it restarted, or empty when it was healthy
     * @throws OpencodeException when an attached server is not healthy, or a restart failed
     */
    Optional<String> ensureHealthy();

    /**
     * Says that the server itself failed a prompt (answered 500, dropped the connection): a server can answer its
     * health check and still fail every prompt, so the next {@link #ensureHealthy()} of a managed server restarts it.
     * An attached server is someone else's: nothing happens.
     */
    default void promptFailed(String reason) {
    }

    /** How many times the server was restarted. */
    default int restarts() {
        return 0;
    }

    /** Stops a managed server and every process it started; an attached server keeps running. */
    @Override
    void close();
}
