package io.opencodefleet.cli;

/** A failure to explain to a person: the message says what went wrong and what to do; no stack trace. */
public class CommandFailure extends RuntimeException {

    private final int exitCode;

    public CommandFailure(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
