package io.opencodefleet.worker.agent;

import io.opencodefleet.common.messages.Usage;

/** One running agent session: wait for its outcome, or abort it. */
public interface AgentRun {

    String sessionId();

    /** Blocks until the session ends: answered, failed, timed out or aborted. */
    Outcome await();

    /** Stops the session (cancel); {@link #await()} then returns {@link Ending#ABORTED}. */
    void abort();

    enum Ending {
        ANSWERED, FAILED, TIMED_OUT, ABORTED
    }

    record Outcome(Ending ending, String text, Usage usage, String error) {
    }
}
