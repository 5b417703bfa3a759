package io.opencodefleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.devstack.sample.SampleProject;
import io.opencodefleet.devstack.fleet.FleetProcess;
import io.opencodefleet.devstack.fleet.Readiness;
import io.opencodefleet.devstack.fleet.StateDir;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The CLI against a real local fleet it starts itself: {@code up} (broker, PostgreSQL, the scripted model,
 * planner, reviewer, a worker with real OpenCode), the demo's mission through {@code submit} and {@code watch}
 * until SEALED, the read verbs, and {@code down} leaving nothing behind. Every step is a CLI process.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetCliTest {

    private static final Duration UP_TIME = Duration.ofMinutes(3);
    private static final Duration MISSION_TIME = Duration.ofMinutes(3);

    private static Path stateDir;
    private static String database;
    private static List<String> common;
    private static int plannerPort;
    private static boolean down;

    @BeforeAll
    static void up() throws IOException {
        stateDir = Files.createTempDirectory("fleet-cli-state-");
        database = "fleet_cli_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        common = List.of("--state-dir", stateDir.toString());
        plannerPort = Ports.freePort();
        Path script = SampleProject.writeScriptedModelScript(stateDir.resolve("demo-script.json"));
        // One slot: a worker may restart its OpenCode server at the memory limit before a task, which breaks a
        // second task starting on that server at the same moment (it then waits for the lease to expire).
        CliProcess.Result result = fleet(UP_TIME, "up", "--workers", "1", "--slots", "1", "--database", database,
                "--kafka-port", String.valueOf(Ports.freePort()), "--planner-port", String.valueOf(plannerPort),
                "--reviewer-port", String.valueOf(Ports.freePort()), "--worker-port", String.valueOf(Ports.freePort()),
                "--scripted-model", script.toString());
        assertThat(result.exitCode()).as(result + logs()).isZero();
        assertThat(result.out()).contains("Local fleet is up").contains("http://127.0.0.1:" + plannerPort)
                .contains("SCRIPTED MODEL").contains("worker-1");
    }

    @AfterAll
    static void tearDown() throws SQLException {
        if (!down && stateDir != null) {
            fleet(Duration.ofMinutes(1), "down");
        }
        if (database != null) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "")) {
                c.createStatement().execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            } catch (SQLException e) {
                // the fleet ran on an embedded PostgreSQL, which went down with it
            }
        }
    }

    @Test
    @Order(1)
    void statusListsEveryProcessWithItsPidAndPort() {
        CliProcess.Result status = fleet(Duration.ofSeconds(30), "status");
        assertThat(status.exitCode()).as(status.toString()).isZero();
        for (String name : List.of("broker", "model", "planner", "reviewer", "worker-1")) {
            assertThat(status.out()).contains(name);
        }
        assertThat(status.out()).contains(String.valueOf(plannerPort)).contains("UP").contains("MGMT");
        FleetProcess planner = StateDir.of(stateDir).process("planner").orElseThrow();
        assertThat(planner.managementPort()).isPositive().isNotEqualTo(plannerPort);
        assertThat(status.out()).contains(String.valueOf(planner.managementPort()));
        assertThat(Readiness.httpOk(planner.url().resolve("/q/health/ready"))).as("health only on the management port").isFalse();
    }

    @Test
    @Order(2)
    void submittedMissionIsWatchedUntilSealedAndReadBack() throws IOException {
        Path root = Files.createTempDirectory("fleet-cli-repo-");
        LocalRepository repo = SampleProject.create(root);
        String id = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        Path missionFile = Files.writeString(root.resolve("mission.json"), SampleProject.mission(id, repo.url()));

        CliProcess.Result submitted = fleet(Duration.ofSeconds(30), "submit", "-f", missionFile.toString());
        assertThat(submitted.exitCode()).as(submitted.toString()).isZero();
        assertThat(submitted.out()).contains("Submitted mission " + id).contains("bin/fleet watch " + id);

        CliProcess.Result watched = fleet(MISSION_TIME, "watch", id);
        assertThat(watched.exitCode()).as(watched + logs()).isZero();
        assertThat(watched.out()).contains("SEALED").contains("greet").contains("test").contains("docs")
                .contains("APPROVED").contains("fleet/" + id);
        assertThat(repo.read("fleet/" + id, "greet.sh")).contains("Hello, ${1:-world}!");
        assertThat(repo.read("fleet/" + id, "README.md")).contains("## Usage");

        CliProcess.Result logs = fleet(Duration.ofSeconds(30), "logs", id, "greet");
        assertThat(logs.exitCode()).as(logs.toString()).isZero();
        assertThat(logs.out()).contains("Created greet.sh").contains("sh check.sh").contains("APPROVED");

        CliProcess.Result shown = fleet(Duration.ofSeconds(30), "--json", "show", id);
        assertThat(shown.exitCode()).as(shown.toString()).isZero();
        JsonNode mission = FleetJson.MAPPER.readTree(shown.out());
        assertThat(mission.path("status").asText()).isEqualTo("SEALED");
        assertThat(mission.path("tasks")).hasSize(3);

        CliProcess.Result listed = fleet(Duration.ofSeconds(30), "list", "--status", "sealed");
        assertThat(listed.exitCode()).as(listed.toString()).isZero();
        assertThat(listed.out()).contains(id).contains("3/3");
    }

    @Test
    @Order(3)
    void unknownMissionIdIsSaidPlainly() {
        for (String verb : List.of("show", "watch", "logs", "cancel")) {
            CliProcess.Result result = fleet(Duration.ofSeconds(30), verb, "no-such-mission");
            assertThat(result.exitCode()).as(verb + ": " + result).isEqualTo(ExitCode.NOT_FOUND);
            assertThat(result.err()).as(verb).contains("no mission with id 'no-such-mission'");
        }
    }

    @Test
    @Order(4)
    void downStopsEveryProcessAndTheirChildrenAndClosesEveryPort() {
        List<FleetProcess> recorded = StateDir.of(stateDir).processes();
        List<ProcessHandle> all = new ArrayList<>();
        for (FleetProcess process : recorded) {
            ProcessHandle handle = process.handle().orElseThrow(() -> new AssertionError(process + " is not running"));
            all.add(handle);
            handle.descendants().forEach(all::add);
        }
        assertThat(all).as("the worker's OpenCode server is among the processes").hasSizeGreaterThan(recorded.size());

        CliProcess.Result result = fleet(Duration.ofMinutes(1), "down");
        down = true;
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("Stopped").contains("planner").contains("worker-1");
        assertThat(all).noneMatch(ProcessHandle::isAlive);
        assertThat(recorded).noneMatch(p -> p.ports().stream().anyMatch(Readiness::listening));
        assertThat(stateDir.resolve("pids")).doesNotExist();

        CliProcess.Result status = fleet(Duration.ofSeconds(30), "status");
        assertThat(status.exitCode()).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(status.out()).contains("No local fleet");
    }

    private static CliProcess.Result fleet(Duration timeout, String... args) {
        List<String> all = new ArrayList<>(common);
        all.addAll(List.of(args));
        return CliProcess.run(timeout, Map.of(), all.toArray(String[]::new));
    }

    private static String logs() {
        StringBuilder text = new StringBuilder();
        try (var files = Files.list(stateDir.resolve("logs"))) {
            for (Path log : files.sorted().toList()) {
                List<String> lines = Files.readAllLines(log);
                text.append("\n===== ").append(log.getFileName()).append(" =====\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
            }
        } catch (IOException e) {
            text.append("(no logs: ").append(e.getMessage()).append(")");
        }
        return text.toString();
    }
}
