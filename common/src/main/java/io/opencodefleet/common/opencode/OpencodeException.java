package io.opencodefleet.common.opencode;

/** OpenCode could not be reached, started, or answered with an HTTP error. */
public class OpencodeException extends RuntimeException {

    private final int status;

    public OpencodeException(String message) {
        this(message, 0, null);
    }

    public OpencodeException(String message, Throwable cause) {
        this(message, 0, cause);
    }

    public OpencodeException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status OpenCode answered with, or 0 when there was no answer. */
    public int status() {
        return status;
    }
}
