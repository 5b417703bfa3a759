package io.opencodefleet.reviewer.check;

import io.opencodefleet.common.messages.CheckRun;
import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.common.process.ProcessRunner;
import io.opencodefleet.common.redact.Redactor;
import io.opencodefleet.common.sandbox.Sandbox;
import io.opencodefleet.reviewer.ReviewerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a mission's verify commands as {@code sh -c} at the root of a tree, each within the mission's timeout; a
 * command past it is killed with every process it started and counts as failed (exit 124). Checks run contained
 * ({@link Sandbox}): none of the reviewer's environment (only {@code fleet.reviewer.check-environment}), and with
 * bubblewrap only this tree writable and nothing else of the machine visible, so one mission's checks cannot touch
 * another's scratch clone or read the reviewer's secrets. The last {@link Sizes#CHECK_OUTPUT} characters of the
 * output, with known secrets masked, become the feedback.
 */
@ApplicationScoped
public class CheckRunner {

    @Inject
    ReviewerConfig config;

    @Inject
    Redactor redactor;

    private Sandbox.Mode mode;

    /** Runs the commands in order and stops at the first failure; the last run is the failed one, if any. */
    public List<CheckRun> runAll(List<String> commands, Path dir, Duration timeout) {
        List<CheckRun> runs = new ArrayList<>();
        for (String command : commands) {
            CheckRun run = run(command, dir, timeout);
            runs.add(run);
            if (!run.passed()) {
                break;
            }
        }
        return runs;
    }

    public CheckRun run(String command, Path dir, Duration timeout) {
        ProcessRunner.Result result = sandbox(dir).runner(List.of("sh", "-c", command), dir).timeout(timeout).keepLast(Sizes.CHECK_OUTPUT).run();
        return new CheckRun(command, result.exitCode(), result.durationMs(), redactor.redact(result.output()));
    }

    private Sandbox sandbox(Path dir) {
        if (mode == null) {
            mode = Sandbox.Mode.of(config.sandbox());
        }
        Sandbox sandbox = Sandbox.of(mode).writable(dir).env("CI", "true").env("HOME", "/tmp");
        config.checkEnvironment().orElse(List.of()).forEach(name -> {
            String value = System.getenv(name);
            if (value != null) {
                sandbox.env(name, value);
            }
        });
        config.checkReadable().orElse(List.of()).forEach(sandbox::readable);
        return sandbox;
    }
}
