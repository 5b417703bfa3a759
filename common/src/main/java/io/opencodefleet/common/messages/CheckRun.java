package io.opencodefleet.common.messages;

import jakarta.validation.constraints.Size;

/** One verify command the reviewer ran, and how it went. */
public record CheckRun(@Size(max = Sizes.COMMAND) String command, int exitCode, long durationMs,
        @Size(max = Sizes.CHECK_OUTPUT + 100) String outputTail) {

    public boolean passed() {
        return exitCode == 0;
    }
}
