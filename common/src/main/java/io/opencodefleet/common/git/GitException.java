package io.opencodefleet.common.git;

/** A git command failed; the message holds the command, exit code and git's own words. */
public class GitException extends RuntimeException {

    private final int exitCode;
    private final String output;

    public GitException(String command, int exitCode, String output) {
        super("git " + command + " exited " + exitCode + ": " + tail(output));
        this.exitCode = exitCode;
        this.output = output;
    }

    public int exitCode() {
        return exitCode;
    }

    public String output() {
        return output;
    }

    private static String tail(String text) {
        String trimmed = text.strip();
        return trimmed.length() > 2000 ? "..." + trimmed.substring(trimmed.length() - 2000) : trimmed;
    }
}
