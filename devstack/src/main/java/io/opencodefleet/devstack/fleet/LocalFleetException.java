package io.opencodefleet.devstack.fleet;

/**
 * A local fleet could not start, stop or be read. The message says what went wrong and what to do, for a person
 * (the CLI prints it without a stack trace).
 */
public class LocalFleetException extends RuntimeException {

    private final boolean invalidSetting;

    public LocalFleetException(String message) {
        this(message, false, null);
    }

    public LocalFleetException(String message, Throwable cause) {
        this(message, false, cause);
    }

    private LocalFleetException(String message, boolean invalidSetting, Throwable cause) {
        super(message, cause);
        this.invalidSetting = invalidSetting;
    }

    /** A setting is wrong (e.g. a database name): fix the command line, nothing was started. */
    public static LocalFleetException invalid(String message) {
        return new LocalFleetException(message, true, null);
    }

    public boolean invalidSetting() {
        return invalidSetting;
    }
}
