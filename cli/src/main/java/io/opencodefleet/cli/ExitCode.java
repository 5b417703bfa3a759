package io.opencodefleet.cli;

/** The CLI's exit codes; scripts depend on them (docs/cli.md lists them). */
public final class ExitCode {
    public static final int OK = 0;
    /** watch: the mission FAILED. */
    public static final int MISSION_FAILED = 1;
    /** picocli's own code for a bad command line. */
    public static final int USAGE = 2;
    /** watch: the mission was CANCELLED. */
    public static final int MISSION_CANCELLED = 3;
    public static final int NOT_FOUND = 4;
    public static final int UNREACHABLE = 5;
    /** The mission file or request is invalid, or the planner refused it. */
    public static final int INVALID = 6;
    /** The local fleet could not be started, stopped or read. */
    public static final int LOCAL_FLEET = 7;
    /** The planner refused the caller: no token, a token it does not trust, or one without the role the verb needs. */
    public static final int NOT_AUTHORIZED = 8;
    /** A bug in the CLI (sysexits' EX_SOFTWARE); the stack trace is printed. */
    public static final int INTERNAL = 70;

    private ExitCode() {
    }
}
