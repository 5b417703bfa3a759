package io.opencodefleet.common.opencode;

import java.nio.file.Path;

/**
 * An OpenCode session, scoped to the directory the agent works in.
 *
 * @param id OpenCode's session id ({@code ses_...})
 * @param directory the working directory every request of this session names
 * @param title the session's title
 */
public record OpencodeSession(String id, Path directory, String title) {
}
