package io.opencodefleet.e2e.multihost;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.net.Host;
import io.opencodefleet.e2e.DiamondMissions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fleet across hosts: network namespaces of the test's own ({@link MultiHostFleet}). h0 runs the broker,
 * PostgreSQL, the scripted model, the git server (smart HTTP behind Basic authentication), the planner and the
 * reviewer; h1, h2 and h3 run one worker each, which reach the broker, the model and the repository over the network
 * only, with the git credentials from a credential helper (never in a URL or a message).
 *
 * <p>Needs root (CI runs as root); skipped, saying why, only where {@code ip netns add} is not permitted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostTest {

    private static final Duration MISSIONS_DONE = Duration.ofMinutes(8);
    private static final List<String> TASKS = DiamondMissions.TASKS;
    private static final int WORKER_HOSTS = 3;

    private static MultiHostFleet fleet;
    /** One repository on h0's git server for every mission (as a team's missions share their repository). */
    private static LocalRepository repo;
    private static String repoUrl;

    @BeforeAll
    static void startFleet() {
        Assumptions.assumeTrue(MultiHostFleet.unavailable().isEmpty(),
                () -> "skipped: the multi-host test bed needs network namespaces: " + MultiHostFleet.unavailable().orElse(""));
        fleet = new MultiHostFleet(WORKER_HOSTS, WORKER_HOSTS, script(1500), settings -> settings
                .plannerProperty("fleet.lease", "15s")
                .plannerProperty("fleet.deadlines.queued", "10s")
                .plannerProperty("fleet.deadlines.review", "20s")
                .workerProperty("fleet.worker.heartbeat-interval", "2s")
                .workerProperty("fleet.worker.drain-timeout", "5s"), MultiHostFleet.stdout());
        String name = "project-" + suffix();
        repo = fleet.devstack().createRepository(name, Map.of("check.sh", "#!/bin/sh\necho ok\n", "README.md", "# multi-host\n"));
        repoUrl = fleet.devstack().repositoryUrl(name);
    }

    @AfterAll
    static void stopFleet() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    @Order(1)
    void missionsOnARepositoryOverSmartHttpSealWithWorkSpreadOverTheWorkerHosts() {
        String url = repoUrl;
        assertThat(url).startsWith("http://" + fleet.infrastructure().address() + ":").doesNotContain("@");
        List<String> missions = submit("across", 2, url);

        Set<String> hosts = new LinkedHashSet<>();
        for (String id : missions) {
            JsonNode view = fleet.awaitDone(id, MISSIONS_DONE);
            assertThat(view.path("status").asText()).as("%s:\n%s", id, fleet.logs()).isEqualTo("SEALED");
            assertThat(view.path("repo").path("url").asText()).isEqualTo(url);
            DiamondMissions.assertMergedOnce(repo, id);
            for (JsonNode task : view.path("tasks")) {
                for (JsonNode attempt : task.path("attempts")) {
                    if (List.of("DONE", "SUCCEEDED").contains(attempt.path("status").asText()) && attempt.hasNonNull("workerId")) {
                        hosts.add(fleet.hostOf(attempt.path("workerId").asText()).name());
                    }
                }
            }
        }
        assertThat(hosts).as("worker hosts that did the work").hasSizeGreaterThanOrEqualTo(2).doesNotContain("h0");

        // The credentials were used (the services' git cloned and pushed over HTTP with Basic auth) and never travelled.
        String password = gitPassword();
        assertThat(password).isNotBlank();
        List<String> texts = new ArrayList<>();
        for (String id : missions) {
            texts.add(fleet.get("/api/v1/missions/" + id).body());
        }
        texts.add(fleet.get("/api/v1/missions").body());
        texts.addAll(fleet.records(Topics.ALL));
        assertThat(texts).as("mission views and every message on the fleet's topics").isNotEmpty()
                .noneMatch(text -> text.contains(password)).noneMatch(text -> text.contains("fleet:" + password));
        for (String process : fleet.devstack().names()) {
            assertThat(read(fleet.devstack().log(process))).as("the log of %s", process).doesNotContain(password);
        }
    }

    @Test
    @Order(2)
    void aWorkerHostLosingItsNetworkMidTaskLosesNothing() {
        Map<String, Long> deadLettersBefore = fleet.deadLetters();
        List<String> missions = submit("cut", 3, repoUrl);

        // A task running on a worker host: that host loses its link (the cable pulled, nobody told).
        Running running = awaitRunning(missions);
        Host cut = fleet.hostOf(running.workerId);
        System.out.printf("cutting %s: %s/%s attempt %d runs on %s%n", cut, running.missionId, running.taskId, running.attempt, running.workerId);
        fleet.network().linkDown(cut);
        try {
            // The planner's lease expires (no heartbeats), and a new attempt of the task runs on another host.
            Awaitility.await("a new attempt of " + running.taskId + " on another host").atMost(Duration.ofMinutes(4))
                    .pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
                        JsonNode task = task(fleet.mission(running.missionId), running.taskId);
                        for (JsonNode attempt : task.path("attempts")) {
                            if (attempt.path("attempt").asInt() > running.attempt && attempt.hasNonNull("workerId")
                                    && !fleet.hostOf(attempt.path("workerId").asText()).equals(cut)) {
                                return true;
                            }
                        }
                        return false;
                    });
        } finally {
            fleet.network().linkUp(cut);
        }

        for (String id : missions) {
            JsonNode view = fleet.awaitDone(id, MISSIONS_DONE);
            assertThat(view.path("status").asText()).as("%s after %s lost its link:\n%s", id, cut, fleet.logs()).isEqualTo("SEALED");
            for (JsonNode task : view.path("tasks")) {
                assertThat(task.path("chargedAttempts").asInt()).as("%s/%s: no attempt charged to the agent (attempts: %s)",
                        id, task.path("taskId").asText(), task.path("attempts")).isZero();
            }
            DiamondMissions.assertMergedOnce(repo, id);
        }
        JsonNode cutTask = task(fleet.mission(running.missionId), running.taskId);
        assertThat(cutTask.path("attempt").asInt()).as("the cut attempt was replaced").isGreaterThan(running.attempt);
        assertThat(fleet.deadLetters()).as("nothing went to a dead-letter topic").isEqualTo(deadLettersBefore);
    }

    // ----- helpers -----

    private record Running(String missionId, String taskId, int attempt, String workerId) {
    }

    /** Waits until some task of the missions runs on a worker, and returns it. */
    private static Running awaitRunning(List<String> missions) {
        Running[] found = new Running[1];
        Awaitility.await("a task running on a worker host").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                .ignoreExceptions().until(() -> {
                    for (String id : missions) {
                        for (JsonNode task : fleet.mission(id).path("tasks")) {
                            if (task.path("status").asText().equals("RUNNING") && task.hasNonNull("workerId")) {
                                found[0] = new Running(id, task.path("taskId").asText(), task.path("attempt").asInt(),
                                        task.path("workerId").asText());
                                return true;
                            }
                        }
                    }
                    return false;
                });
        return found[0];
    }

    private static JsonNode task(JsonNode mission, String taskId) {
        for (JsonNode task : mission.path("tasks")) {
            if (task.path("taskId").asText().equals(taskId)) {
                return task;
            }
        }
        throw new IllegalStateException("no task " + taskId + " in " + mission);
    }

    private static List<String> submit(String prefix, int count, String url) {
        List<String> missions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = prefix + "-" + i + "-" + suffix();
            missions.add(id);
            var response = fleet.submit(DiamondMissions.mission(id, url));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        }
        return missions;
    }

    /** The scripted model: each task writes its file, runs a command and answers; every call takes {@code delayMs}. */
    static String script(long delayMs) {
        StringBuilder rules = new StringBuilder("{\"name\":\"title\",\"when\":{\"titleRequest\":true},\"reply\":\"Fleet task\"}");
        for (String task : TASKS) {
            rules.append(",{\"name\":\"").append(task).append("\",\"when\":{\"promptContains\":\"[[").append(task)
                    .append("]]\",\"hasTools\":true},\"reply\":[{\"write\":{\"path\":\"").append(task).append(".txt\",\"content\":\"")
                    .append(task).append("\\n\"}},{\"bash\":\"echo ").append(task).append(" >> log-").append(task)
                    .append(".txt\"},\"Wrote ").append(task).append(".txt\"]}");
        }
        return "{\"delayMs\":" + delayMs + ",\"rules\":[" + rules + "]}";
    }

    /** The git server's password, from the credential store the services' git reads. */
    private static String gitPassword() {
        String line = read(fleet.devstack().gitCredentials().store()).strip();
        String userInfo = line.substring(line.indexOf("://") + 3, line.lastIndexOf('@'));
        return URLDecoder.decode(userInfo.substring(userInfo.indexOf(':') + 1), StandardCharsets.UTF_8);
    }

    private static String read(java.nio.file.Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String suffix() {
        return UUID.randomUUID().toString().substring(0, 6);
    }
}
