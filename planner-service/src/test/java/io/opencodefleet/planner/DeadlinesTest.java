package io.opencodefleet.planner;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.opencodefleet.common.messages.ControlCommand;
import io.opencodefleet.common.messages.ErrorInfo;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskAssignment;
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
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every waiting state has a deadline the planner re-drives, with short deadlines: a silent task is replaced by a new
 * attempt (not charged) and the old one told to stop; an assignment or review request that was consumed but never
 * answered goes out again with the same attempt; a seal request likewise; the fleet's trouble is retried without
 * using up an attempt, the agent's is charged.
 */
@QuarkusTest
@TestProfile(DeadlinesTest.ShortDeadlines.class)
@QuarkusTestResource(KafkaBrokerResource.class)
@QuarkusTestResource(PostgresResource.class)
class DeadlinesTest {

    public static class ShortDeadlines implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("fleet.lease", "4s", "fleet.deadlines.queued", "3s", "fleet.deadlines.review", "3s",
                    "fleet.deadlines.startup-grace", "0s", "fleet.retries.first-backoff", "200ms");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(60);
    private KafkaCompanion kafka;
    private ConsumerTask<String, String> read;

    @BeforeEach
    void connect() {
        ApiTokens.useFullToken();
        kafka = new KafkaCompanion(KafkaBroker.shared().bootstrapServers());
        read = kafka.consumeStrings().fromTopics(Topics.TASKS, Topics.REVIEWS, Topics.CONTROL);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
        MissionCounts.assertConsistent();
    }

    @Test
    void aSilentTaskIsReplacedByANewAttemptNotChargedAndTheOldOneIsToldToStop() {
        String id = submit("lease");
        TaskAssignment a1 = assignment(id, "a", 1);
        heartbeat(a1);
        TaskAssignment a2 = assignment(id, "a", 2); // no more heartbeats: the lease expires
        assertThat(a2.branch()).endsWith("/a/a2");
        ControlCommand stop = MessageCodec.decode(Records.await(read, r -> r.topic().equals(Topics.CONTROL) && id.equals(r.key())
                && r.value().contains("\"taskId\":\"a\""), WAIT).value(), ControlCommand.class);
        assertThat(stop.attempt()).isEqualTo(1);
        assertThat(stop.reason()).contains("lease expired");
        given().get("/api/v1/missions/" + id).then().body("tasks[0].chargedAttempts", equalTo(0)).body("tasks[0].redispatches", equalTo(1));

        // A late result of the replaced attempt changes nothing; the new one is reviewed and merged.
        result(a1, TaskStatus.SUCCEEDED, null);
        approve(a2);
        seal(id, 1);
        awaitStatus(id, "SEALED");
    }

    @Test
    void anAssignmentConsumedButNeverAnsweredGoesOutAgainWithTheSameAttempt() {
        String id = submit("lost-task");
        TaskAssignment first = assignment(id, "a", 1);
        swallow(Topics.TASKS, Topics.WORKERS_GROUP, id); // a worker took it, committed, and said nothing
        List<TaskAssignment> sent = Records.awaitCount(read, r -> isAssignment(r, id, "a", 1), 2, WAIT).stream()
                .map(r -> MessageCodec.decode(r.value(), TaskAssignment.class)).toList();
        assertThat(sent).extracting(TaskAssignment::branch).containsOnly(first.branch());
        approve(first);
        seal(id, 1);
        awaitStatus(id, "SEALED");
    }

    @Test
    void aReviewRequestAndASealRequestConsumedButNeverAnsweredAreAskedAgain() {
        String id = submit("lost-review");
        TaskAssignment a = assignment(id, "a", 1);
        result(a, TaskStatus.SUCCEEDED, null);
        review(id, "a", 1);
        swallow(Topics.REVIEWS, Topics.REVIEWERS_GROUP, id);
        Records.awaitCount(read, r -> isReview(r, id, "a", 1), 2, WAIT);
        verdict(id, "a", 1, Verdict.APPROVED);

        review(id, "_seal", 1);
        swallow(Topics.REVIEWS, Topics.REVIEWERS_GROUP, id);
        Records.awaitCount(read, r -> isReview(r, id, "_seal", 1), 2, WAIT);
        verdict(id, "_seal", 1, Verdict.APPROVED);
        awaitStatus(id, "SEALED");
    }

    @Test
    void theFleetsTroubleIsRetriedWithoutUsingAnAttemptTheAgentsIsCharged() {
        String id = submit("faults");
        TaskAssignment a1 = assignment(id, "a", 1);
        result(a1, TaskStatus.FAILED, ErrorInfo.of(ErrorInfo.INFRASTRUCTURE, "git fetch: connection refused"));
        TaskAssignment a2 = assignment(id, "a", 2);
        result(a2, TaskStatus.RELEASED, ErrorInfo.of(ErrorInfo.RELEASED, "the worker is shutting down"));
        TaskAssignment a3 = assignment(id, "a", 3);
        result(a3, TaskStatus.SUCCEEDED, null);
        review(id, "a", 3);
        verdict(id, "a", 3, Verdict.ERROR);
        TaskAssignment a4 = assignment(id, "a", 4);
        result(a4, TaskStatus.TIMED_OUT, ErrorInfo.of(ErrorInfo.TIMEOUT, "no answer in 300s"));
        TaskAssignment a5 = assignment(id, "a", 5);
        assertThat(a5.feedback()).contains("ran out of time");
        given().get("/api/v1/missions/" + id).then().body("tasks[0].chargedAttempts", equalTo(1)).body("tasks[0].redispatches", equalTo(3));
        approve(a5);
        seal(id, 1);
        awaitStatus(id, "SEALED");
    }

    private String submit(String prefix) {
        String id = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType("application/json").body(PlannerFlowTest.mission(id, "[{\"id\":\"a\",\"prompt\":\"do a\"}]", 3))
                .post("/api/v1/missions").then().statusCode(202);
        return id;
    }

    private TaskAssignment assignment(String missionId, String taskId, int attempt) {
        return MessageCodec.decode(Records.await(read, r -> isAssignment(r, missionId, taskId, attempt), WAIT).value(), TaskAssignment.class);
    }

    private static boolean isAssignment(ConsumerRecord<String, String> r, String missionId, String taskId, int attempt) {
        if (!r.topic().equals(Topics.TASKS)) {
            return false;
        }
        TaskAssignment t = MessageCodec.decode(r.value(), TaskAssignment.class);
        return t.missionId().equals(missionId) && t.taskId().equals(taskId) && t.attempt() == attempt;
    }

    private static boolean isReview(ConsumerRecord<String, String> r, String missionId, String taskId, int attempt) {
        if (!r.topic().equals(Topics.REVIEWS) || !missionId.equals(r.key())) {
            return false;
        }
        ReviewRequest request = MessageCodec.decode(r.value(), ReviewRequest.class);
        return request.taskId().equals(taskId) && request.attempt() == attempt;
    }

    private ReviewRequest review(String missionId, String taskId, int attempt) {
        return MessageCodec.decode(Records.await(read, r -> isReview(r, missionId, taskId, attempt), WAIT).value(), ReviewRequest.class);
    }

    private void heartbeat(TaskAssignment task) {
        send(Topics.PROGRESS, task.taskId(), FleetJson.write(new TaskProgress(task.missionId(), task.taskId(), task.attempt(),
                "test-worker", "agent", 1, Instant.now(), null, null)));
    }

    private void result(TaskAssignment task, TaskStatus status, ErrorInfo error) {
        send(Topics.RESULTS, task.missionId(), FleetJson.write(TaskResult.of(task, status,
                status == TaskStatus.SUCCEEDED ? task.branch() : null, status == TaskStatus.SUCCEEDED ? PlannerFlowTest.commit(task.branch()) : null,
                List.of(), "did it", null, new Usage(1, 1, 0), 10, "test-worker", "ses", error)));
    }

    private void verdict(String missionId, String taskId, int attempt, Verdict verdict) {
        send(Topics.VERDICTS, missionId, FleetJson.write(new ReviewVerdict(missionId, taskId, attempt, verdict,
                verdict == Verdict.ERROR ? "the git remote did not answer" : null,
                verdict == Verdict.APPROVED ? PlannerFlowTest.commit("merged-" + taskId + attempt) : null, List.of(), List.of(), null)));
    }

    private void approve(TaskAssignment task) {
        result(task, TaskStatus.SUCCEEDED, null);
        review(task.missionId(), task.taskId(), task.attempt());
        verdict(task.missionId(), task.taskId(), task.attempt(), Verdict.APPROVED);
    }

    private void seal(String missionId, int attempt) {
        review(missionId, "_seal", attempt);
        verdict(missionId, "_seal", attempt, Verdict.APPROVED);
    }

    private static void awaitStatus(String id, String status) {
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/missions/" + id).then().body("status", equalTo(status)));
    }

    /** Plays a member of {@code group} that reads every record of {@code topic} for the mission, commits, and says nothing. */
    private static void swallow(String topic, String group, String missionId) {
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + WAIT.toNanos();
            boolean seen = false;
            while (!seen && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    seen |= record.value().contains("\"" + missionId + "\"");
                }
            }
            assertThat(seen).as("the mission's record reached the group").isTrue();
            consumer.commitSync();
        }
    }

    private void send(String topic, String key, String value) {
        kafka.produceStrings().fromRecords(new ProducerRecord<>(topic, key, value)).awaitCompletion();
    }
}
