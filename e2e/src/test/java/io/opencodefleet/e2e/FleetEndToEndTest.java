package io.opencodefleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.kafka.Records;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import org.apache.kafka.clients.producer.ProducerRecord;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.RecordedRequest;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The fleet end to end: planner, reviewer and two workers as separate processes from their packaged jars,
 * a real Kafka broker, PostgreSQL, real OpenCode in each worker driven by the scripted model, and a bare git
 * repository holding a small project with a fast check.
 */
class FleetEndToEndTest {

    private static final Duration MISSION_TIME = Duration.ofMinutes(4);
    /** The project's check: c.txt, when present, must hold 2. */
    private static final String CHECK_SCRIPT = """
            #!/bin/sh
            if [ -f c.txt ] && [ "$(cat c.txt)" != "2" ]; then echo "c.txt holds $(cat c.txt), expected 2"; exit 1; fi
            echo ok
            """;

    private static ScriptedModel model;
    private static LocalFleet fleet;
    private KafkaCompanion kafka;
    private ConsumerTask<String, String> read;
    private LocalRepository repo;

    @BeforeAll
    static void startFleet() {
        List<Rule> rules = new ArrayList<>();
        rules.add(Rule.when(Match.titleRequest()).reply(Turn.text("Fleet task")));
        // Task c writes the wrong number until the reviewer's feedback is in its prompt.
        rules.add(Rule.when(Match.promptContains("[[c]]").and(Match.promptContains("Feedback on attempt 1")))
                .reply(Turn.write("c.txt", "2\n"), Turn.text("Fixed c.txt to 2 as the check asked")));
        rules.add(Rule.when(Match.promptContains("[[c]]")).reply(Turn.write("c.txt", "3\n"), Turn.text("Wrote c.txt")));
        // Every other task [[x]] writes x.txt and runs a command whose effect lands in the commit too.
        for (String id : List.of("a", "b", "d", "p", "q", "r")) {
            rules.add(Rule.when(Match.promptContains("[[" + id + "]]"))
                    .reply(Turn.write(id + ".txt", id + "\n"), Turn.bash("echo " + id + " >> log-" + id + ".txt"), Turn.text("Wrote " + id + ".txt")));
        }
        model = ScriptedModel.start(Script.of(rules.toArray(Rule[]::new)));
        fleet = new LocalFleet(model, 2);
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

    @BeforeEach
    void setUp(TestInfo test) throws Exception {
        kafka = new KafkaCompanion(KafkaBroker.shared().bootstrapServers());
        read = kafka.consumeStrings().fromTopics(Topics.EVENTS, Topics.dlq(Topics.MISSIONS));
        Path root = Files.createTempDirectory("e2e-repo-");
        repo = LocalRepository.create(root, Map.of("check.sh", CHECK_SCRIPT, "README.md", "# Sample project\n"));
    }

    @AfterEach
    void tearDown() {
        kafka.close();
    }

    static String mission(String id, String repoUrl, String plan) {
        return """
                {"missionId":"%s","title":"E2E %s","goal":"Write the files the tasks name",
                 "repo":{"url":"%s","baseRef":"main"},
                 "verify":{"commands":["sh check.sh"],"timeoutSeconds":60,"acceptance":["test -f a.txt || test -f p.txt"]},
                 "limits":{"maxAttempts":3,"taskTimeoutSeconds":300},
                 "plan":%s}
                """.formatted(id, id, repoUrl, plan);
    }

    static String task(String id, String... dependsOn) {
        String deps = java.util.Arrays.stream(dependsOn).map(d -> "\"" + d + "\"").collect(Collectors.joining(","));
        return "{\"id\":\"" + id + "\",\"title\":\"Task " + id + "\",\"prompt\":\"[[" + id + "]] Create " + id
                + ".txt holding the task id.\",\"dependsOn\":[" + deps + "],\"files\":[\"" + id + ".txt\"]}";
    }

    @Test
    void diamondMissionSealsAfterARetryThatCarriesTheReviewersFeedback() {
        String id = "diamond-" + UUID.randomUUID().toString().substring(0, 8);
        String plan = "[" + String.join(",", task("a"), task("b", "a"), task("c", "a"), task("d", "b", "c")) + "]";
        assertThat(fleet.submit(mission(id, repo.url(), plan)).statusCode()).isEqualTo(202);

        JsonNode view = awaitFinished(id);
        assertThat(view.path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");

        String integration = "fleet/" + id;
        // Exactly one merge of each task, each with the trailers; c merged from its second attempt.
        List<String> merges = repo.log(integration, "%(trailers:key=Fleet-Task,valueonly,separator=)|%(trailers:key=Fleet-Attempt,valueonly,separator=)|%(trailers:key=Fleet-Mission,valueonly,separator=)", "--merges");
        assertThat(merges).containsExactlyInAnyOrder("a|1|" + id, "b|1|" + id, "c|2|" + id, "d|1|" + id);
        for (String file : List.of("a", "b", "c", "d")) {
            assertThat(repo.read(integration, file + ".txt")).isEqualTo(file.equals("c") ? "2" : file);
        }
        assertThat(repo.read(integration, "log-a.txt")).as("the bash command's effect is in the commit").isEqualTo("a");

        // c's second attempt's prompt held the reviewer's feedback with the check output.
        List<RecordedRequest> cPrompts = model.agentRequests().stream().filter(r -> r.prompt().contains("[[c]]")).toList();
        assertThat(cPrompts).anySatisfy(r -> assertThat(r.prompt())
                .contains("Feedback on attempt 1").contains("sh check.sh").contains("c.txt holds 3, expected 2"));

        // The REST view agrees with git.
        JsonNode tasks = view.path("tasks");
        assertThat(tasks).hasSize(4).allSatisfy(t -> assertThat(t.path("status").asText()).isEqualTo("DONE"));
        JsonNode c = find(tasks, "c");
        assertThat(c.path("attempt").asInt()).isEqualTo(2);
        assertThat(c.path("attempts")).extracting(a -> a.path("verdict").asText()).containsExactly("REJECTED", "APPROVED");
        assertThat(c.path("attempts").get(0).path("feedback").asText()).contains("c.txt holds 3, expected 2");
        assertThat(view.path("mergedCommit").asText()).isEqualTo(repo.git("ls-remote", "origin", integration).split("\\s")[0]);
        assertThat(view.path("usage").path("inputTokens").asLong()).isPositive();

        assertValidEventOrder(id, Map.of("b", List.of("a"), "c", List.of("a"), "d", List.of("b", "c")));
    }

    @Test
    void threeMissionsAtOnceOnTwoWorkersAllSealWithNoTaskMergedTwice() {
        List<String> ids = new ArrayList<>();
        Map<String, LocalRepository> repos = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            String id = "multi-" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
            LocalRepository own = i == 0 ? repo : newRepo();
            repos.put(id, own);
            ids.add(id);
            String plan = "[" + String.join(",", task("p"), task("q"), task("r", "p", "q")) + "]";
            assertThat(fleet.submit(mission(id, own.url(), plan)).statusCode()).isEqualTo(202);
        }
        for (String id : ids) {
            assertThat(awaitFinished(id).path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");
            List<String> merged = repos.get(id).log("fleet/" + id, "%(trailers:key=Fleet-Task,valueonly,separator=)", "--merges");
            assertThat(merged).containsExactlyInAnyOrder("p", "q", "r");
        }
        // The work spread over both worker processes.
        List<String> workers = new ArrayList<>();
        for (String id : ids) {
            JsonNode view = readJson(fleet.get("/api/v1/missions/" + id).body());
            view.path("tasks").forEach(t -> t.path("attempts").forEach(a -> workers.add(a.path("workerId").asText())));
        }
        assertThat(workers).contains("worker-1", "worker-2");
    }

    @Test
    void anAssignmentDeliveredTwiceIsDoneAndMergedOnce() {
        String id = "twice-" + UUID.randomUUID().toString().substring(0, 6);
        try (ConsumerTask<String, String> tasks = kafka.consumeStrings().fromTopics(Topics.TASKS)) {
            assertThat(fleet.submit(mission(id, repo.url(), "[" + task("p") + "]")).statusCode()).isEqualTo(202);
            ConsumerRecord<String, String> assignment = Records.await(tasks, r -> r.value().contains("\"" + id + "\""), Duration.ofSeconds(60));
            // What Kafka does after a rebalance or a crash: the same record once more.
            send(Topics.TASKS, assignment.key(), assignment.value());
        }
        JsonNode view = awaitFinished(id);
        assertThat(view.path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");
        assertThat(repo.log("fleet/" + id, "%(trailers:key=Fleet-Task,valueonly,separator=)", "--merges")).containsExactly("p");
        assertThat(find(view.path("tasks"), "p").path("attempts")).extracting(a -> a.path("verdict").asText()).containsExactly("APPROVED");
    }

    @Test
    void badInputGetsClearErrorsAndAValidMissionAfterItStillSeals() {
        var cyclic = fleet.submit(mission("cyclic-" + UUID.randomUUID().toString().substring(0, 6), repo.url(),
                "[" + task("a", "b") + "," + task("b", "a") + "]"));
        assertThat(cyclic.statusCode()).isEqualTo(400);
        assertThat(readJson(cyclic.body()).path("error").asText()).isEqualTo("plan: dependency cycle a -> b -> a");

        String key = "malformed-" + UUID.randomUUID().toString().substring(0, 6);
        send(Topics.MISSIONS, key, "{\"goal\":\"no repo\"}");
        ConsumerRecord<String, String> dead = Records.await(read, r -> r.topic().equals(Topics.dlq(Topics.MISSIONS)) && key.equals(r.key()), Duration.ofSeconds(60));
        assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8)).contains("repo: must not be null");

        String id = "after-bad-" + UUID.randomUUID().toString().substring(0, 6);
        send(Topics.MISSIONS, id, mission(id, repo.url(), "[" + task("a") + "]"));
        assertThat(awaitFinished(id).path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");
        assertThat(repo.read("fleet/" + id, "a.txt")).isEqualTo("a");
    }

    /** Every task's events come dispatched → started → succeeded/rejected, dependents after their dependencies. */
    private void assertValidEventOrder(String id, Map<String, List<String>> dependsOn) {
        Records.await(read, r -> r.topic().equals(Topics.EVENTS) && id.equals(r.key()) && r.value().contains("\"SEALED\""), Duration.ofSeconds(30));
        List<MissionEvent> events = read.getRecords().stream().filter(r -> r.topic().equals(Topics.EVENTS) && id.equals(r.key()))
                .map(r -> MessageCodec.decode(r.value(), MissionEvent.class)).toList();
        List<String> seq = events.stream().map(e -> e.event() + (e.taskId() == null ? "" : ":" + e.taskId() + ":" + e.attempt())).toList();
        assertThat(seq.get(0)).isEqualTo("SUBMITTED");
        assertThat(seq.get(1)).isEqualTo("PLANNED");
        assertThat(seq.get(seq.size() - 1)).isEqualTo("SEALED");
        assertThat(seq).containsOnlyOnce("SEALED", "TASK_REJECTED:c:1");
        for (String task : List.of("a", "b", "c", "d")) {
            int last = task.equals("c") ? 2 : 1;
            for (int attempt = 1; attempt <= last; attempt++) {
                String suffix = ":" + task + ":" + attempt;
                int dispatched = seq.indexOf("TASK_DISPATCHED" + suffix);
                int started = seq.indexOf("TASK_STARTED" + suffix);
                int ended = Math.max(seq.indexOf("TASK_SUCCEEDED" + suffix), seq.indexOf("TASK_REJECTED" + suffix));
                assertThat(dispatched).as(seq.toString()).isGreaterThan(1);
                assertThat(started).as(seq.toString()).isGreaterThan(dispatched);
                assertThat(ended).as(seq.toString()).isGreaterThan(started);
            }
            for (String dep : dependsOn.getOrDefault(task, List.of())) {
                int depLast = dep.equals("c") ? 2 : 1;
                assertThat(seq.indexOf("TASK_DISPATCHED:" + task + ":1")).as(seq.toString())
                        .isGreaterThan(seq.indexOf("TASK_SUCCEEDED:" + dep + ":" + depLast));
            }
        }
    }

    private JsonNode awaitFinished(String id) {
        return fleet.awaitStatus(id, MISSION_TIME);
    }

    private static LocalRepository newRepo() {
        try {
            return LocalRepository.create(Files.createTempDirectory("e2e-repo-"), Map.of("check.sh", CHECK_SCRIPT, "README.md", "# Sample\n"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static JsonNode find(JsonNode tasks, String taskId) {
        for (JsonNode task : tasks) {
            if (task.path("taskId").asText().equals(taskId)) {
                return task;
            }
        }
        throw new AssertionError("no task " + taskId + " in " + tasks);
    }

    private static JsonNode readJson(String body) {
        return LocalFleet.json(body);
    }

    private void send(String topic, String key, String value) {
        kafka.produceStrings().fromRecords(new ProducerRecord<>(topic, key, value)).awaitCompletion();
    }
}
