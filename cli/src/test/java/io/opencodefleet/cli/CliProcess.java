package io.opencodefleet.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the CLI as a user does: a separate process with arguments, its output and its exit code. */
final class CliProcess {

    /** What one run of the CLI printed and returned. */
    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }

    private CliProcess() {
    }

    static Result run(Duration timeout, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "-Dfleet.project.root=" + System.getProperty("fleet.project.root"), Fleet.class.getName()));
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("fleet-cli-out", ".txt");
            Path err = Files.createTempFile("fleet-cli-err", ".txt");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().putAll(env);
            // A developer's own fleet settings must not leak into the tests.
            builder.environment().remove("FLEET_PLANNER_URL");
            builder.environment().remove("FLEET_STATE_DIR");
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("fleet " + String.join(" ", args) + " did not finish within " + timeout
                        + "\n" + new Result(-1, Files.readString(out), Files.readString(err)));
            }
            Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Result run(String... args) {
        return run(Duration.ofSeconds(60), Map.of(), args);
    }
}
