package io.opencodefleet.common.messages;

/**
 * Caps on what a message may carry, in characters (a character is at most 3 bytes of UTF-8, or 4 for a pair),
 * chosen so that no message the fleet builds from them comes near the broker's 1 MiB record limit, and so that
 * what is copied into many messages (goal, guidance, summaries) stays small.
 */
public final class Sizes {

    public static final int TITLE = 500;
    public static final int GOAL = 16_000;
    public static final int PROMPT = 16_000;
    public static final int GUIDANCE = 8_000;
    /** Reviewer feedback and check output handed to the next attempt. */
    public static final int FEEDBACK = 8_000;
    public static final int SUMMARY = 4_000;
    /** What the planner puts in an assignment's context: goal, dependencies' summaries, guidance. */
    public static final int CONTEXT = 32_000;
    public static final int COMMANDS = 50;
    public static final int COMMAND = 4_000;
    public static final int FILES = 200;
    public static final int PATH = 512;
    public static final int LABELS = 50;
    public static final int LABEL_KEY = 64;
    public static final int LABEL_VALUE = 256;
    public static final int MODEL = 200;
    public static final int PLAN_TASKS = 10_000;
    public static final int DEPENDENCIES = 100;
    public static final int ERROR = 2_000;
    public static final int CHECK_OUTPUT = 4_000;
    public static final int CHECKS = COMMANDS * 2;

    private Sizes() {
    }

    /** {@code text} cut to {@code max} characters (marking the cut), or as it is. */
    public static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        String marker = "\n[… cut to " + max + " characters]";
        return text.substring(0, Math.max(0, max - marker.length())) + marker;
    }

    /** The last {@code max} characters of {@code text} (marking the cut), for output tails. */
    public static String tail(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        String marker = "[… " + (text.length() - max) + " characters before]\n";
        return marker + text.substring(text.length() - Math.max(0, max - marker.length()));
    }
}
