package io.opencodefleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.opencodefleet.devstack.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes a person makes, without a fleet: each gets a message that says what is wrong, and a non-zero exit. */
class FleetCliErrorsTest {

    @TempDir
    Path dir;

    private final String nowhere = "http://127.0.0.1:" + Ports.freePort();

    @Test
    void missingMissionFileIsNamed() {
        CliProcess.Result result = CliProcess.run("--planner", nowhere, "submit", "-f", dir.resolve("nope.json").toString());
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCode.INVALID);
        assertThat(result.err()).contains("mission file " + dir.resolve("nope.json") + " does not exist");
    }

    @Test
    void brokenJsonSaysWhere() throws IOException {
        Path file = Files.writeString(dir.resolve("broken.json"), "{\"goal\": \"x\",\n  \"repo\": {\"url\": }\n}");
        CliProcess.Result result = CliProcess.run("--planner", nowhere, "submit", "-f", file.toString());
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCode.INVALID);
        assertThat(result.err()).contains(file + " is not valid JSON at line 2");
    }

    @Test
    void invalidMissionNamesEachFieldAndReason() throws IOException {
        Path file = Files.writeString(dir.resolve("mission.json"),
                "{\"goal\": \"Add a greeting\", \"repo\": {\"url\": \"\"}, \"plan\": [{\"id\": \"a b\", \"prompt\": \"x\"}],"
                        + " \"limits\": {\"maxAttempts\": \"many\"}}");
        CliProcess.Result result = CliProcess.run("--planner", nowhere, "submit", "-f", file.toString());
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCode.INVALID);
        assertThat(result.err()).contains(file + " is not a valid mission").contains("limits.maxAttempts: expected an integer");

        Files.writeString(file, "{\"goal\": \"Add a greeting\", \"repo\": {\"url\": \"\"}, \"plan\": [{\"id\": \"a b\", \"prompt\": \"x\"}]}");
        result = CliProcess.run("--planner", nowhere, "submit", "-f", file.toString());
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCode.INVALID);
        assertThat(result.err()).contains("plan[0].id: must be 1-64 letters").contains("repo.url: must not be blank");
    }

    @Test
    void unreachablePlannerIsNamedWithWhatToDo() {
        CliProcess.Result result = CliProcess.run("--planner", nowhere, "list");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(result.err()).contains("cannot reach the planner at " + nowhere).contains("bin/fleet up");

        result = CliProcess.run("--planner", nowhere, "submit", "--goal", "x", "--repo", "file:///tmp/r.git", "--task", "a=do a");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(result.err()).contains("cannot reach the planner at " + nowhere);
    }

    @Test
    void unreachableBrokerIsNamedWithWhatToDo() {
        String broker = "127.0.0.1:" + Ports.freePort();
        CliProcess.Result result = CliProcess.run("submit", "--kafka=" + broker, "--goal", "x", "--repo", "file:///tmp/r.git", "--task", "a=do a");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(result.err()).contains("cannot publish to the Kafka broker at " + broker).contains("bin/fleet up");

        result = CliProcess.run("submit", "--kafka=" + broker, "--kafka-config", "/nonexistent/kafka.properties", "--goal", "x",
                "--repo", "file:///tmp/r.git", "--task", "a=do a");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(result.err()).contains("Kafka client settings /nonexistent/kafka.properties do not exist");
    }

    @Test
    void everyVerbHasHelpAndAWrongCommandLineIsAUsageError() {
        for (String verb : new String[] {"up", "down", "demo", "submit", "watch", "list", "show", "cancel", "resume", "retry",
                "logs", "attach", "status"}) {
            CliProcess.Result help = CliProcess.run(verb, "--help");
            assertThat(help.exitCode()).as(help.toString()).isZero();
            assertThat(help.out()).as(verb).contains("Usage: fleet " + verb);
        }
        CliProcess.Result wrong = CliProcess.run("watch");
        assertThat(wrong.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(wrong.err()).contains("Missing required parameter: 'MISSION'");
    }

    @Test
    void statusWithoutAFleetSaysSo() {
        CliProcess.Result result = CliProcess.run("--state-dir", dir.toString(), "status");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(result.out()).contains("No local fleet in " + dir).contains("bin/fleet up");
    }
}
