package io.opencodefleet.reviewer.check;

import io.opencodefleet.common.messages.CheckRun;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a mission's verify commands as {@code sh -c} at the root of a tree, each within the mission's
 * timeout; a command past it is killed with its whole process tree and counts as failed (exit 124).
 */
@ApplicationScoped
public class CheckRunner {

    static final int TAIL_CHARS = 4000;
    static final int TIMED_OUT = 124;

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
        long started = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("CI", "true");
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            OutputTail tail = new OutputTail(process.getInputStream());
            tail.start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            tail.join(5_000);
            int exit = finished ? process.exitValue() : TIMED_OUT;
            String output = tail.text() + (finished ? "" : "\n[timed out after " + timeout.toSeconds() + "s]");
            return new CheckRun(command, exit, (System.nanoTime() - started) / 1_000_000, output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CheckRun(command, -1, (System.nanoTime() - started) / 1_000_000, "interrupted");
        }
    }

    /** Drains a process's output, keeping only the last {@link #TAIL_CHARS} characters. */
    private static final class OutputTail extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

        OutputTail(InputStream in) {
            super("check-output");
            setDaemon(true);
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[8192];
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    synchronized (kept) {
                        kept.write(buffer, 0, n);
                        if (kept.size() > 4 * TAIL_CHARS) {
                            byte[] all = kept.toByteArray();
                            kept.reset();
                            kept.write(all, all.length - 2 * TAIL_CHARS, 2 * TAIL_CHARS);
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended or was killed; what was read is the output
            }
        }

        String text() {
            synchronized (kept) {
                String all = kept.toString(StandardCharsets.UTF_8);
                return all.length() > TAIL_CHARS ? "..." + all.substring(all.length() - TAIL_CHARS) : all;
            }
        }
    }
}
