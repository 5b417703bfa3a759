package io.opencodefleet.common.messages;

/**
 * Branch names as {@code git check-ref-format --branch} accepts them, minus what could be read as an option
 * or a path outside {@code refs/heads}: no leading '-' or '/', no "..", no "//", no "@{", no control characters,
 * spaces or {@code ~^:?*[\}, no component starting with '.' or ending with ".lock", not ending with '/' or '.'.
 */
public final class GitRefs {

    public static final int MAX_LENGTH = 255;
    public static final String BRANCH_MESSAGE = "must be a valid git branch name (git check-ref-format)";

    private GitRefs() {
    }

    public static boolean isValidBranch(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/") || name.endsWith(".")
                || name.contains("..") || name.contains("//") || name.contains("@{") || name.equals("@")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x21 || c == 0x7f || "~^:?*[\\".indexOf(c) >= 0) {
                return false;
            }
        }
        for (String component : name.split("/")) {
            if (component.startsWith(".") || component.endsWith(".lock")) {
                return false;
            }
        }
        return true;
    }
}
