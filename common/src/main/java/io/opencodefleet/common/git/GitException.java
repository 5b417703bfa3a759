package io.opencodefleet.common.git;

/**
 * A git command failed; the message holds the command, exit code and git's own words. {@code remote} marks a
 * command that talked to the remote (clone, fetch, push, ls-remote): its failure may pass (a network blip, a
 * remote restarting), so callers retry it with backoff; a local failure will not.
 */
public class GitException extends RuntimeException {

    private final int exitCode;
    private final String output;
    private final boolean remote;

    public GitException(String command, int exitCode, String output) {
        this(command, exitCode, output, false);
    }

    public GitException(String command, int exitCode, String output, boolean remote) {
        super("git " + command + " exited " + exitCode + ": " + tail(output));
        this.exitCode = exitCode;
        this.output = output;
        this.remote = remote;
    }

    public int exitCode() {
        return exitCode;
    }

    public String output() {
        return output;
    }

    public boolean remote() {
        return remote;
    }

    private static String tail(String text) {
        String trimmed = text.strip();
        return trimmed.length() > 2000 ? "..." + trimmed.substring(trimmed.length() - 2000) : trimmed;
    }
}
