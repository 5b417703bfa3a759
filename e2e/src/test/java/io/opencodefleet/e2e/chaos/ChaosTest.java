package io.opencodefleet.e2e.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import io.opencodefleet.e2e.DiamondMissions;
import io.opencodefleet.e2e.LocalFleet;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Faults while missions run, on a whole local fleet of real processes (a broker process and an embedded PostgreSQL
 * of the fleet's own, planner, reviewer, two workers with their OpenCode, the scripted model taking its time per
 * call so work is in flight). Each scenario submits several missions of four dependent tasks (a diamond) on one
 * repository, waits until work runs, injects its fault, and asserts the outcome: every mission SEALED, every task
 * merged exactly once (one task commit, one merge, matched by {@code Fleet-Mission} and {@code Fleet-Task}),
 * nothing in any dead-letter topic, and no attempt used up by a fault that was not the agent's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosTest {

    private static final Duration MISSIONS_DONE = Duration.ofMinutes(6);
    private static final List<String> TASKS = DiamondMissions.TASKS;
    private static final int MISSIONS = 4;

    private static ScriptedModel model;
    private static LocalFleet fleet;

    @BeforeAll
    static void startFleet() {
        List<Rule> rules = new ArrayList<>();
        rules.add(Rule.when(Match.titleRequest()).reply(Turn.text("Fleet task")));
        for (String task : TASKS) {
            rules.add(Rule.when(Match.promptContains("[[" + task + "]]"))
                    .reply(Turn.write(task + ".txt", task + "\n"), Turn.bash("echo " + task + " >> log-" + task + ".txt"), Turn.text("Wrote " + task + ".txt")));
        }
        // Every model call takes a while, so every fault finds work in flight.
        model = ScriptedModel.start(Script.of(rules.toArray(Rule[]::new)).withDelay(Duration.ofMillis(1200)));
        fleet = new LocalFleet(model, 2, settings -> settings
                .externalKafka(null)             // a broker process of the fleet's own: it is killed and restarted
                .embeddedPostgres(0)             // and so is PostgreSQL
                .plannerProperty("fleet.lease", "15s")
                .plannerProperty("fleet.deadlines.queued", "10s")
                .plannerProperty("fleet.deadlines.review", "20s")
                .workerProperty("fleet.worker.heartbeat-interval", "2s")
                .workerProperty("fleet.worker.drain-timeout", "5s"));
    }

    @AfterAll
    static void stopFleet() {
        if (fleet != null) {
            fleet.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    @Order(1)
    void killNineOfAWorkerWithItsOpenCode() {
        scenario("worker-kill", () -> {
            fleet.devstack().kill("worker-1");
            sleep(2_000);
            fleet.devstack().start("worker-1");
        });
    }

    /**
     * The worker lives on while its OpenCode dies under a running prompt (the OOM killer's way): the attempt fails
     * as the fleet's trouble, not the agent's, and the slot's server is started again before the next session.
     */
    @Test
    @Order(2)
    void killNineOfAWorkersOpenCodeMidPrompt() {
        scenario("opencode-kill", () -> {
            awaitWorkerBusy("worker-1");
            List<ProcessHandle> servers = fleet.devstack().process("worker-1").orElseThrow().descendants()
                    .filter(p -> p.info().commandLine().map(line -> line.contains("opencode") && line.contains(" serve ")).orElse(false))
                    .toList();
            assertThat(servers).as("worker-1's OpenCode servers").isNotEmpty();
            servers.forEach(ProcessHandle::destroyForcibly);
            assertThat(fleet.devstack().isRunning("worker-1")).as("the worker itself lives on").isTrue();
        });
    }

    @Test
    @Order(3)
    void killNineOfThePlanner() {
        scenario("planner-kill", () -> {
            fleet.devstack().kill("planner");
            sleep(2_000);
            fleet.devstack().start("planner");
        });
    }

    @Test
    @Order(4)
    void killNineOfTheReviewer() {
        scenario("reviewer-kill", () -> {
            awaitState("REVIEWING");
            fleet.devstack().kill("reviewer");
            sleep(2_000);
            fleet.devstack().start("reviewer");
        });
    }

    @Test
    @Order(5)
    void killNineOfTheBroker() {
        scenario("broker-kill", () -> {
            fleet.devstack().kill("broker");
            sleep(2_000);
            fleet.devstack().startBroker();
        });
    }

    @Test
    @Order(6)
    void postgresRestarted() {
        scenario("postgres-restart", () -> {
            fleet.devstack().stopPostgres();
            sleep(3_000);
            fleet.devstack().startPostgres();
        });
    }

    @Test
    @Order(7)
    void downAndUpOnTheSameState() {
        scenario("down-up", () -> {
            var settings = fleet.devstack().settings();
            fleet.devstack().down();
            sleep(2_000);
            fleet.devstack().up(settings);
        });
    }

    @Test
    @Order(8)
    void aWorkerSigtermedMidTaskHandsItsWorkBack() {
        scenario("worker-sigterm", () -> {
            awaitWorkerBusy("worker-1");
            assertThat(fleet.devstack().terminate("worker-1", Duration.ofSeconds(60))).as("the worker drained and exited").isTrue();
            fleet.devstack().start("worker-1");
        });
    }

    @Test
    @Order(9)
    void workersAddedAndTakenAwayMidRunLikeKeda() {
        scenario("scale", () -> {
            String added = fleet.devstack().addWorker();
            String another = fleet.devstack().addWorker();
            sleep(5_000);
            fleet.devstack().terminate(added, Duration.ofSeconds(60));
            fleet.devstack().terminate("worker-2", Duration.ofSeconds(60));
            sleep(2_000);
            fleet.devstack().terminate(another, Duration.ofSeconds(60));
            fleet.devstack().start("worker-2");
        });
    }

    /** Submits the missions, waits until work runs, injects {@code fault}, and checks that the fleet healed. */
    private void scenario(String name, Runnable fault) {
        LocalRepository repo = newRepository();
        Map<String, Long> deadLettersBefore = DiamondMissions.deadLetters(fleet.bootstrap());
        List<String> missions = new ArrayList<>();
        for (int i = 0; i < MISSIONS; i++) {
            String id = name + "-" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
            missions.add(id);
            assertThat(fleet.submit(DiamondMissions.mission(id, repo.url())).statusCode()).isEqualTo(202);
        }
        awaitState("RUNNING");
        fault.run();

        for (String id : missions) {
            JsonNode view = fleet.awaitStatus(id, MISSIONS_DONE);
            assertThat(view.path("status").asText()).as("%s after %s:\n%s", id, name, fleet.logs()).isEqualTo("SEALED");
            for (JsonNode task : view.path("tasks")) {
                assertThat(task.path("chargedAttempts").asInt()).as("%s/%s: no attempt used up by the fault (attempts: %s)",
                        id, task.path("taskId").asText(), task.path("attempts")).isZero();
            }
            DiamondMissions.assertMergedOnce(repo, id);
        }
        assertThat(DiamondMissions.deadLetters(fleet.bootstrap())).as("nothing went to a dead-letter topic during %s", name).isEqualTo(deadLettersBefore);
    }

    private static LocalRepository newRepository() {
        try {
            return LocalRepository.create(Files.createTempDirectory("chaos-repo-"), Map.of("check.sh", "#!/bin/sh\necho ok\n", "README.md", "# chaos\n"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Waits until some task of the fleet is in {@code state} (work is in flight). */
    private static void awaitState(String state) {
        Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().until(() -> {
            JsonNode list = LocalFleet.json(fleet.get("/api/v1/missions?status=RUNNING").body());
            for (JsonNode mission : list) {
                if (mission.path("tasksByState").path(state).asLong() > 0) {
                    return true;
                }
            }
            return false;
        });
    }

    private static void awaitWorkerBusy(String worker) {
        Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().until(() -> {
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    fleet.devstack().managementUrl(worker).resolve("/q/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            return metrics.lines().anyMatch(l -> l.startsWith("fleet_worker_slots{state=\"busy\"") && !l.endsWith(" 0.0"));
        });
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
