package io.opencodefleet.common.git;

import java.util.HashMap;
import java.util.Map;

/**
 * The environment of the fleet's git: its identity on commits, no terminal prompts, and transfers that give up
 * when they stall (instead of hanging a slot or the merge queue).
 */
public final class GitIdentity {

    public static final String NAME = "OpenCode Fleet";
    public static final String EMAIL = "fleet@localhost";

    private GitIdentity() {
    }

    static Map<String, String> environment() {
        Map<String, String> env = new HashMap<>();
        env.put("GIT_TERMINAL_PROMPT", "0");
        env.put("GIT_AUTHOR_NAME", NAME);
        env.put("GIT_AUTHOR_EMAIL", EMAIL);
        env.put("GIT_COMMITTER_NAME", NAME);
        env.put("GIT_COMMITTER_EMAIL", EMAIL);
        // HTTP(S): abort when less than 1 KB/s flows for 60 s. SSH: probe a silent connection, give up after a minute.
        env.put("GIT_HTTP_LOW_SPEED_LIMIT", "1000");
        env.put("GIT_HTTP_LOW_SPEED_TIME", "60");
        if (System.getenv("GIT_SSH_COMMAND") == null) {
            env.put("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=4");
        }
        return env;
    }
}
