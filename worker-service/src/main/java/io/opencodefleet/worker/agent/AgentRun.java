package io.opencodefleet.worker.agent;

import io.opencodefleet.common.messages.Usage;

/** One running agent session: wait for its outcome, or abort it. */
public interface AgentRun {

    String sessionId();

    /** Blocks until the session ends: answered, failed, timed out or aborted. */
    Outcome await();

    /** Stops the session (cancel, superseded, hand-back); {@link #await()} then returns {@link Ending#ABORTED}. */
    void abort();

    enum Ending {
        ANSWERED, FAILED, TIMED_OUT, ABORTED
    }

    /**
     * How the session ended. {@code infrastructure} marks a failure that was not the agent's work: OpenCode died or
     * the model provider failed (after OpenCode's own retries); the task is tried again without using an attempt.
     */
    record Outcome(Ending ending, String text, Usage usage, String error, boolean infrastructure) {

        public static Outcome failed(String text, Usage usage, String error, boolean infrastructure) {
            return new Outcome(Ending.FAILED, text, usage, error, infrastructure);
        }
    }
}
