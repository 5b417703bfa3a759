package io.opencodefleet.planner;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.TaskProgress;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.kafka.KafkaBrokerResource;
import io.opencodefleet.testkit.kafka.Records;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import org.apache.kafka.clients.producer.ProducerRecord;
import io.opencodefleet.testkit.postgres.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The planner over a real broker and PostgreSQL, with the test playing worker and reviewer on the topics:
 * dispatch order on the DAG, retries with feedback, stale verdicts, sealing, failure, cancel and bad input.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerResource.class)
@QuarkusTestResource(PostgresResource.class)
class PlannerFlowTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private KafkaCompanion kafka;
    private ConsumerTask<String, String> read;

    @BeforeEach
    void connect() {
        ApiTokens.useFullToken();
        kafka = new KafkaCompanion(KafkaBroker.shared().bootstrapServers());
        read = kafka.consumeStrings().fromTopics(Topics.TASKS, Topics.EVENTS, Topics.REVIEWS,
                Topics.CONTROL, Topics.dlq(Topics.MISSIONS));
    }

    @AfterEach
    void disconnect() {
        kafka.close();
        MissionCounts.assertConsistent();
    }

    static String mission(String id, String plan, int maxAttempts) {
        return """
                {"missionId":"%s","goal":"Build the diamond","repo":{"url":"file:///tmp/none.git","baseRef":"main"},
                 "verify":{"commands":["true"]},"limits":{"maxAttempts":%d},"plan":%s}
                """.formatted(id, maxAttempts, plan);
    }

    static final String DIAMOND = """
            [{"id":"a","prompt":"do a"},{"id":"b","prompt":"do b","dependsOn":["a"]},
             {"id":"c","prompt":"do c","dependsOn":["a"]},{"id":"d","prompt":"do d","dependsOn":["b","c"]}]""";

    @Test
    void diamondRunsInDependencyOrderRetriesWithFeedbackAndSeals() {
        String id = "diamond-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType("application/json").body(mission(id, DIAMOND, 3))
                .when().post("/api/v1/missions")
                .then().statusCode(202).body("id", equalTo(id)).body("status", equalTo("RUNNING"));
        // Same id again is the same mission, not a second one.
        given().contentType("application/json").body(mission(id, DIAMOND, 3)).post("/api/v1/missions").then().statusCode(202);

        TaskAssignment a = assignment(id, "a", 1);
        assertThat(a.branch()).isEqualTo("fleet-tasks/" + id + "/a/a1");
        assertThat(a.integrationBranch()).isEqualTo("fleet/" + id);
        assertThat(a.context()).contains("Build the diamond");
        assertThat(assignments(id)).extracting(TaskAssignment::taskId).containsExactly("a");

        heartbeat(a);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/missions/" + id)
                .then().body("tasks.find { it.taskId == 'a' }.status", equalTo("RUNNING")));
        verdict(a, Verdict.APPROVED, null, "a wrote a.txt");
        TaskAssignment b = assignment(id, "b", 1);
        TaskAssignment c = assignment(id, "c", 1);
        assertThat(c.context()).contains("- a (a): a wrote a.txt");

        verdict(b, Verdict.APPROVED, null, "b done");
        verdict(c, Verdict.REJECTED, "make test: expected 2, got 3", null);
        TaskAssignment c2 = assignment(id, "c", 2);
        assertThat(c2.feedback()).isEqualTo("make test: expected 2, got 3");
        assertThat(c2.branch()).endsWith("/c/a2");
        // A late duplicate of attempt 1's verdict is stale: it must not approve c.
        verdict(c, Verdict.APPROVED, null, "stale");
        verdict(c2, Verdict.APPROVED, null, "c fixed");
        TaskAssignment d = assignment(id, "d", 1);
        verdict(d, Verdict.APPROVED, null, "d done");

        ReviewRequest sealRequest = reviewRequest(id, "_seal", 1);
        assertThat(sealRequest.kind()).isEqualTo(ReviewRequest.Kind.SEAL);
        assertThat(sealRequest.verify().commands()).containsExactly("true");
        send(Topics.VERDICTS, id, FleetJson.write(new ReviewVerdict(id, sealRequest.taskId(), sealRequest.attempt(), Verdict.APPROVED,
                null, commit("seal"), List.of(), null, null)));

        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/missions/" + id).then()
                .body("status", equalTo("SEALED"))
                .body("usage.inputTokens", equalTo(50))
                .body("tasks.find { it.taskId == 'c' }.attempts.size()", equalTo(2))
                .body("tasks.find { it.taskId == 'c' }.attempts[0].verdict", equalTo("REJECTED"))
                .body("tasks.find { it.taskId == 'c' }.attempts[1].verdict", equalTo("APPROVED")));
        assertThat(assignments(id)).extracting(t -> t.taskId() + t.attempt()).containsExactly("a1", "b1", "c1", "c2", "d1");
        List<MissionEvent.Kind> kinds = events(id).stream().map(MissionEvent::event).toList();
        assertThat(kinds).startsWith(MissionEvent.Kind.SUBMITTED, MissionEvent.Kind.PLANNED, MissionEvent.Kind.TASK_DISPATCHED)
                .endsWith(MissionEvent.Kind.SEALED)
                .containsOnlyOnce(MissionEvent.Kind.TASK_REJECTED, MissionEvent.Kind.SEALED);
    }

    @Test
    void spentAttemptsFailTheMissionAndCancelItsRunningWork() {
        String id = "fail-" + UUID.randomUUID().toString().substring(0, 8);
        String plan = "[{\"id\":\"x\",\"prompt\":\"x\"},{\"id\":\"y\",\"prompt\":\"y\"}]";
        given().contentType("application/json").body(mission(id, plan, 2)).post("/api/v1/missions").then().statusCode(202);
        TaskAssignment x1 = assignment(id, "x", 1);
        assignment(id, "y", 1);
        verdict(x1, Verdict.REJECTED, "still broken", null);
        verdict(assignment(id, "x", 2), Verdict.REJECTED, "still broken", null);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/missions/" + id).then()
                .body("status", equalTo("FAILED"))
                .body("statusReason", containsString("task x failed after 2 attempts"))
                .body("tasks.find { it.taskId == 'y' }.status", equalTo("CANCELLED")));
        Records.await(read, r -> r.topic().equals(Topics.CONTROL) && id.equals(r.key()) && r.value().contains("CANCEL"), WAIT);
    }

    @Test
    void cancelThroughTheApi() {
        String id = "cancel-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType("application/json").body(mission(id, DIAMOND, 3)).post("/api/v1/missions").then().statusCode(202);
        assignment(id, "a", 1);
        given().contentType("application/json").body("{}").post("/api/v1/missions/" + id + "/cancel").then().statusCode(200).body("status", equalTo("CANCELLED"));
        Records.await(read, r -> r.topic().equals(Topics.CONTROL) && id.equals(r.key()), WAIT);
        given().contentType("application/json").body("{}").post("/api/v1/missions/nope/cancel").then().statusCode(404).body("error", containsString("nope"));
    }

    @Test
    void badInputIsRefusedWithTheReasonAndTheConsumerGoesOn() {
        given().contentType("application/json").body(mission("cyc", """
                [{"id":"a","prompt":"a","dependsOn":["b"]},{"id":"b","prompt":"b","dependsOn":["a"]}]""", 3))
                .post("/api/v1/missions").then().statusCode(400).body("error", equalTo("plan: dependency cycle a -> b -> a"));
        given().contentType("application/json").body("{\"goal\":\"g\",\"repo\":{}}")
                .post("/api/v1/missions").then().statusCode(400).body("error", containsString("repo.url: must not be blank"));
        given().get("/api/v1/missions/ghost").then().statusCode(404);

        send(Topics.MISSIONS, "broken", "{not json");
        String id = "after-bad-" + UUID.randomUUID().toString().substring(0, 8);
        send(Topics.MISSIONS, null, mission(id, DIAMOND, 3));
        ConsumerRecord<String, String> dead = Records.await(read, r -> r.topic().equals(Topics.dlq(Topics.MISSIONS)) && "broken".equals(r.key()), WAIT);
        assertThat(dead.value()).isEqualTo("{not json");
        assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8)).contains("not valid JSON");
        assignment(id, "a", 1);
        given().get("/api/v1/missions/" + id).then().statusCode(200).body("status", equalTo("RUNNING"));
    }

    @Test
    void assignmentsAreDealtEvenlyOverTheTaskPartitionsWhateverTheirTaskIds() {
        // Many missions reuse the same few task ids: hashed by key, "t0" of every mission would land on one partition
        // (so on one worker). Dealt in turn, 16 tasks of four missions fill the 4 partitions of fleet.tasks evenly.
        List<String> ids = new java.util.ArrayList<>();
        String plan = "[" + java.util.stream.IntStream.range(0, 4).mapToObj(i -> "{\"id\":\"t" + i + "\",\"prompt\":\"do " + i + "\"}")
                .collect(java.util.stream.Collectors.joining(",")) + "]";
        for (int i = 0; i < 4; i++) {
            String id = "spread-" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
            ids.add(id);
            given().contentType("application/json").body(mission(id, plan, 3)).post("/api/v1/missions").then().statusCode(202);
        }
        List<ConsumerRecord<String, String>> dealt = Records.awaitCount(read, r -> r.topic().equals(Topics.TASKS)
                && ids.contains(MessageCodec.decode(r.value(), TaskAssignment.class).missionId()), 16, WAIT);
        java.util.Map<Integer, Long> perPartition = dealt.stream().collect(java.util.stream.Collectors.groupingBy(ConsumerRecord::partition,
                java.util.stream.Collectors.counting()));
        // Even within two (another test's resent assignment may be dealt in between); hashed, they came in fours.
        assertThat(perPartition).as("assignments per partition of fleet.tasks").hasSize(4);
        assertThat(java.util.Collections.max(perPartition.values()) - java.util.Collections.min(perPartition.values()))
                .as("assignments per partition %s", perPartition).isLessThanOrEqualTo(2);
        assertThat(dealt).allSatisfy(r -> assertThat(r.key()).as("the key stays the task id").isEqualTo(
                MessageCodec.decode(r.value(), TaskAssignment.class).taskId()));
    }

    private TaskAssignment assignment(String missionId, String taskId, int attempt) {
        return assignmentsMatching(missionId, t -> t.taskId().equals(taskId) && t.attempt() == attempt, 1).get(0);
    }

    private List<TaskAssignment> assignments(String missionId) {
        return read.getRecords().stream().filter(r -> r.topic().equals(Topics.TASKS))
                .map(r -> MessageCodec.decode(r.value(), TaskAssignment.class))
                .filter(t -> t.missionId().equals(missionId)).toList();
    }

    private List<TaskAssignment> assignmentsMatching(String missionId, java.util.function.Predicate<TaskAssignment> match, int count) {
        return Records.awaitCount(read, r -> {
            if (!r.topic().equals(Topics.TASKS)) {
                return false;
            }
            TaskAssignment t = MessageCodec.decode(r.value(), TaskAssignment.class);
            return t.missionId().equals(missionId) && match.test(t);
        }, count, WAIT).stream().map(r -> MessageCodec.decode(r.value(), TaskAssignment.class)).toList();
    }

    private List<MissionEvent> events(String missionId) {
        return read.getRecords().stream().filter(r -> r.topic().equals(Topics.EVENTS) && missionId.equals(r.key()))
                .map(r -> MessageCodec.decode(r.value(), MissionEvent.class)).toList();
    }

    private void heartbeat(TaskAssignment task) {
        send(Topics.PROGRESS, task.taskId(), FleetJson.write(new TaskProgress(task.missionId(), task.taskId(), task.attempt(),
                "test-worker", "model", 10, Instant.now(), null, null)));
    }

    /**
     * Plays worker and reviewer for one attempt: its result goes in (once per attempt), the planner asks for a review,
     * and the verdict comes back. A stale attempt's result is fenced: the planner asks nothing, so the verdict is sent blind.
     */
    private void verdict(TaskAssignment task, Verdict verdict, String feedback, String summary) {
        TaskResult result = TaskResult.of(task, TaskStatus.SUCCEEDED, task.branch(), commit(task.taskId() + task.attempt()),
                List.of(task.taskId() + ".txt"), summary, null, new Usage(10, 5, 0.001), 100, "test-worker", "ses", null);
        boolean asked = read.getRecords().stream().anyMatch(r -> isReviewRequest(r, task.missionId(), task.taskId(), task.attempt()));
        if (!asked) {
            send(Topics.RESULTS, task.missionId(), FleetJson.write(result));
            reviewRequest(task.missionId(), task.taskId(), task.attempt());
        }
        send(Topics.VERDICTS, task.missionId(), FleetJson.write(new ReviewVerdict(task.missionId(), task.taskId(), task.attempt(),
                verdict, feedback, verdict == Verdict.APPROVED ? commit("m" + task.taskId()) : null, List.of(), List.of(), null)));
    }

    private ReviewRequest reviewRequest(String missionId, String taskId, int attempt) {
        return MessageCodec.decode(Records.await(read, r -> isReviewRequest(r, missionId, taskId, attempt), WAIT).value(), ReviewRequest.class);
    }

    private static boolean isReviewRequest(ConsumerRecord<String, String> record, String missionId, String taskId, int attempt) {
        if (!record.topic().equals(Topics.REVIEWS) || !missionId.equals(record.key())) {
            return false;
        }
        ReviewRequest request = MessageCodec.decode(record.value(), ReviewRequest.class);
        return request.taskId().equals(taskId) && request.attempt() == attempt;
    }

    /** A commit id made from a label, as git would print one. */
    static String commit(String label) {
        return String.format("%040x", new java.math.BigInteger(1, label.getBytes(StandardCharsets.UTF_8))).substring(0, 40);
    }

    private void send(String topic, String key, String value) {
        kafka.produceStrings().fromRecords(new ProducerRecord<>(topic, key, value)).awaitCompletion();
    }
}
