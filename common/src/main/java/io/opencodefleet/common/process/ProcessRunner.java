package io.opencodefleet.common.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to its end or its timeout, whichever comes first: the output is drained on its own thread while
 * the timeout runs (a command that stalls cannot hang the caller), only the last {@code keepChars} characters are
 * kept, and on timeout the command and every process it started are killed. The one way the fleet runs git,
 * checks and tools.
 *
 * <pre>{@code
 * ProcessRunner.Result result = ProcessRunner.command("git", "fetch", "origin").in(dir).timeout(Duration.ofMinutes(5)).run();
 * }</pre>
 */
public final class ProcessRunner {

    /** How a run ended: exit code (or {@link #TIMED_OUT}), the kept output tail, and how long it took. */
    public record Result(int exitCode, String output, boolean timedOut, long durationMs) {
        public static final int TIMED_OUT = 124;

        public boolean succeeded() {
            return exitCode == 0 && !timedOut;
        }
    }

    private final List<String> command;
    private Path dir;
    private Duration timeout = Duration.ofMinutes(10);
    private int keepChars = 4 * 1024 * 1024;
    private boolean inheritEnvironment = true;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private String input;

    private ProcessRunner(List<String> command) {
        this.command = List.copyOf(command);
    }

    public static ProcessRunner command(String... command) {
        return new ProcessRunner(List.of(command));
    }

    public static ProcessRunner command(List<String> command) {
        return new ProcessRunner(command);
    }

    public ProcessRunner in(Path directory) {
        this.dir = directory;
        return this;
    }

    public ProcessRunner timeout(Duration value) {
        this.timeout = Objects.requireNonNull(value);
        return this;
    }

    /** Keep only the last {@code chars} characters of the output (checks keep a tail for feedback). */
    public ProcessRunner keepLast(int chars) {
        this.keepChars = chars;
        return this;
    }

    /** Start from an empty environment: only what {@link #env} adds reaches the command. */
    public ProcessRunner clearEnvironment() {
        this.inheritEnvironment = false;
        return this;
    }

    public ProcessRunner env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    public ProcessRunner env(Map<String, String> values) {
        environment.putAll(values);
        return this;
    }

    /** Text written to the command's standard input (then closed). */
    public ProcessRunner input(String text) {
        this.input = text;
        return this;
    }

    public Result run() {
        long started = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            builder.directory(dir.toFile());
        }
        if (!inheritEnvironment) {
            builder.environment().clear();
        }
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        Tail tail = new Tail(process.getInputStream(), keepChars, command.get(0));
        tail.start();
        try {
            try (var stdin = process.getOutputStream()) {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // the command does not read its input
            }
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                killTree(process);
            }
            tail.join(5_000);
            long durationMs = (System.nanoTime() - started) / 1_000_000;
            return finished ? new Result(process.exitValue(), tail.text(), false, durationMs)
                    : new Result(Result.TIMED_OUT, tail.text() + "\n[timed out after " + timeout.toSeconds() + "s]", true, durationMs);
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            return new Result(-1, tail.text() + "\n[interrupted]", false, (System.nanoTime() - started) / 1_000_000);
        }
    }

    /** Kills a process and everything it started (children first, so none is re-parented and missed). */
    public static void killTree(Process process) {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Drains a stream, keeping (about) the last characters; decoded once at the end so no character is split. */
    private static final class Tail extends Thread {
        private final InputStream in;
        private final int keep;
        private final java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
        private boolean cut;

        Tail(InputStream in, int keep, String name) {
            super("output-of-" + name);
            setDaemon(true);
            this.in = in;
            this.keep = keep;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[8192];
            long keepBytes = 4L * keep;
            try (in) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    synchronized (kept) {
                        kept.write(buffer, 0, n);
                        if (kept.size() > 2 * keepBytes + 8192) {
                            byte[] all = kept.toByteArray();
                            kept.reset();
                            kept.write(all, (int) (all.length - keepBytes), (int) keepBytes);
                            cut = true;
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
                if (!cut && all.length() <= keep) {
                    return all;
                }
                return "[… output cut]\n" + all.substring(Math.max(0, all.length() - keep));
            }
        }
    }
}
