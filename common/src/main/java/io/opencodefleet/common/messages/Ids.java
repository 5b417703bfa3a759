package io.opencodefleet.common.messages;

/**
 * The shapes of the names that travel in messages. Mission and task ids become git ref components and
 * directory names, so they are kept to what is safe in both: letters, digits, '.', '_' and '-', starting and
 * ending with a letter or digit, never "..", at most 64 characters. The planner's own task ids
 * ({@code _plan}, {@code _seal}) are the only ones that start with '_'.
 */
public final class Ids {

    public static final String ID = "[A-Za-z0-9](?:(?!\\.\\.)[A-Za-z0-9._-]){0,62}[A-Za-z0-9]|[A-Za-z0-9]";
    public static final String MISSION_ID = ID;
    public static final String TASK_ID = "_plan|_seal|" + ID;
    public static final String ID_MESSAGE = "must be 1-64 letters, digits, '.', '_' or '-', starting and ending with a letter or digit, without '..'";

    /** A worker's name: host names, pod names and pids. */
    public static final String WORKER_ID = "[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}";

    private Ids() {
    }
}
