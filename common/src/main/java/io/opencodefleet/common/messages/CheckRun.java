package io.opencodefleet.common.messages;

/** One verify command the reviewer ran, and how it went. */
public record CheckRun(String command, int exitCode, long durationMs, String outputTail) {

    public boolean passed() {
        return exitCode == 0;
    }
}
