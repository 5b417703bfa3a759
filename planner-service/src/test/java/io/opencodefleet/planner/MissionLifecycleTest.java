package io.opencodefleet.planner;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.planner.api.Roles;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.kafka.KafkaBrokerResource;
import io.opencodefleet.testkit.kafka.Records;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import org.apache.kafka.clients.producer.ProducerRecord;
import io.opencodefleet.testkit.postgres.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The mission lifecycle beyond the happy path, over a real broker and PostgreSQL with the test playing worker
 * and reviewer: planning by agent, the intervene policies, resume and retry, budgets, and the event stream.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerResource.class)
@QuarkusTestResource(PostgresResource.class)
class MissionLifecycleTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private KafkaCompanion kafka;
    private ConsumerTask<String, String> read;

    @TestHTTPResource("/api/v1/missions")
    URI missionsUri;

    @BeforeEach
    void connect() {
        ApiTokens.useFullToken();
        kafka = new KafkaCompanion(KafkaBroker.shared().bootstrapServers());
        read = kafka.consumeStrings().fromTopics(Topics.TASKS, Topics.EVENTS, Topics.REVIEWS);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
        MissionCounts.assertConsistent();
    }

    private static String newId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void submit(String json) {
        given().contentType("application/json").body(json).post("/api/v1/missions").then().statusCode(202);
    }

    @Test
    void aGoalAloneIsPlannedByAnAgentAndThePlanExpandsIntoTasks() {
        String id = newId("goal");
        submit("""
                {"missionId":"%s","goal":"Add a greeting module","repo":{"url":"file:///tmp/none.git"},
                 "models":{"planner":"scripted/planner","coder":"scripted/coder"}}""".formatted(id));
        given().get("/api/v1/missions/" + id).then().body("status", equalTo("PLANNING"));
        TaskAssignment plan = assignment(id, "_plan", 1);
        assertThat(plan.kind()).isEqualTo(TaskKind.PLAN);
        assertThat(plan.model()).isEqualTo("scripted/planner");
        assertThat(plan.prompt()).contains("Add a greeting module").contains("JSON");

        verdict(plan, Verdict.APPROVED, null, List.of(
                new PlannedTask("greet", "Greeting", "write greet.sh", List.of(), List.of("greet.sh")),
                new PlannedTask("doc", "Docs", "document greet.sh", List.of("greet"), List.of("README.md"))), new Usage(1, 1, 0));
        TaskAssignment greet = assignment(id, "greet", 1);
        assertThat(greet.kind()).isEqualTo(TaskKind.CODE);
        assertThat(greet.model()).isEqualTo("scripted/coder");
        assertThat(greet.files()).containsExactly("greet.sh");
        given().get("/api/v1/missions/" + id).then().body("status", equalTo("RUNNING"))
                .body("tasks.find { it.taskId == '_plan' }.status", equalTo("DONE"));
        assertThat(events(id)).extracting(MissionEvent::event).contains(MissionEvent.Kind.PLANNED);
    }

    @Test
    void onErrorPausesInsteadOfFailingAndResumeCarriesTheGuidance() {
        String id = newId("onerr");
        submit(mission(id, "[{\"id\":\"x\",\"prompt\":\"x\"}]", "\"limits\":{\"maxAttempts\":1},\"review\":{\"intervene\":\"on-error\"}"));
        TaskAssignment x1 = assignment(id, "x", 1);
        given().contentType("application/json").body("{\"guidance\":\"too early\"}").post("/api/v1/missions/" + id + "/resume")
                .then().statusCode(409).body("error", containsString("not PAUSED"));
        verdict(x1, Verdict.REJECTED, "tests fail", null, Usage.ZERO);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/missions/" + id).then()
                .body("status", equalTo("PAUSED")).body("statusReason", containsString("task x failed after 1 attempts"))
                .body("tasks[0].status", equalTo("FAILED")));

        given().contentType("application/json").body("{\"guidance\":\"Use the helper in util.sh\"}")
                .post("/api/v1/missions/" + id + "/resume").then().statusCode(200).body("status", equalTo("RUNNING"));
        TaskAssignment x2 = assignment(id, "x", 2);
        assertThat(x2.context()).contains("Guidance from a person").contains("Use the helper in util.sh");
        assertThat(x2.feedback()).isEqualTo("tests fail");
        assertThat(events(id)).extracting(MissionEvent::event).contains(MissionEvent.Kind.PAUSED, MissionEvent.Kind.RESUMED);
    }

    @Test
    void retryGivesAFailedTaskAnotherAttempt() {
        String id = newId("retry");
        submit(mission(id, "[{\"id\":\"x\",\"prompt\":\"x\"}]", "\"limits\":{\"maxAttempts\":1},\"review\":{\"intervene\":\"on-error\"}"));
        verdict(assignment(id, "x", 1), Verdict.REJECTED, "nope", null, Usage.ZERO);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/missions/" + id).then().body("status", equalTo("PAUSED")));
        given().contentType("application/json").body("{}").post("/api/v1/missions/" + id + "/tasks/ghost/retry").then().statusCode(404);
        given().contentType("application/json").body("{}").post("/api/v1/missions/" + id + "/tasks/x/retry").then().statusCode(200).body("status", equalTo("RUNNING"));
        assignment(id, "x", 2);
        given().contentType("application/json").body("{}").post("/api/v1/missions/" + id + "/tasks/x/retry").then().statusCode(409).body("error", containsString("QUEUED"));
    }

    @Test
    void alwaysPausesBeforeEachDispatchUntilAPersonResumes() {
        String id = newId("always");
        submit(mission(id, "[{\"id\":\"a\",\"prompt\":\"a\"},{\"id\":\"b\",\"prompt\":\"b\",\"dependsOn\":[\"a\"]}]",
                "\"review\":{\"intervene\":\"always\"}"));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/missions/" + id).then()
                .body("status", equalTo("PAUSED")).body("statusReason", equalTo("waiting for approval to dispatch a")));
        assertThat(assignmentsOf(id)).isEmpty();
        given().contentType("application/json").body("{}").post("/api/v1/missions/" + id + "/resume").then().statusCode(200);
        verdict(assignment(id, "a", 1), Verdict.APPROVED, null, null, Usage.ZERO);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/missions/" + id).then()
                .body("status", equalTo("PAUSED")).body("statusReason", equalTo("waiting for approval to dispatch b")));
        assertThat(assignmentsOf(id)).extracting(TaskAssignment::taskId).containsExactly("a");
    }

    @Test
    void aSpentTokenBudgetStopsDispatchWithTheReason() {
        String id = newId("budget");
        submit(mission(id, "[{\"id\":\"a\",\"prompt\":\"a\"},{\"id\":\"b\",\"prompt\":\"b\",\"dependsOn\":[\"a\"]}]",
                "\"limits\":{\"budgetTokens\":100}"));
        verdict(assignment(id, "a", 1), Verdict.APPROVED, null, null, new Usage(90, 30, 0.01));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/missions/" + id).then()
                .body("status", equalTo("FAILED")).body("statusReason", equalTo("budget spent: 120 tokens used of 100"))
                .body("usage.inputTokens", equalTo(90)).body("usage.outputTokens", equalTo(30)));
        assertThat(assignmentsOf(id)).extracting(TaskAssignment::taskId).containsExactly("a");
    }

    @Test
    void theEventStreamReplaysThenFollowsAndEndsWithTheMission() throws Exception {
        String id = newId("sse");
        submit(mission(id, "[{\"id\":\"a\",\"prompt\":\"a\"}]", "\"verify\":{\"commands\":[\"true\"]}"));
        TaskAssignment a = assignment(id, "a", 1);
        CompletableFuture<HttpResponse<Stream<String>>> stream = HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create(missionsUri + "/" + id + "/events"))
                        .header("Authorization", "Bearer " + ApiTokens.withRoles(Roles.VIEWER)).build(), HttpResponse.BodyHandlers.ofLines());
        CompletableFuture<List<MissionEvent>> received = stream.thenApply(response -> response.body()
                .filter(line -> line.startsWith("data:"))
                .map(line -> MessageCodec.decode(line.substring(5).strip(), MissionEvent.class)).toList());
        verdict(a, Verdict.APPROVED, null, null, Usage.ZERO);
        ReviewRequest sealRequest = reviewRequest(id, "_seal", 1);
        send(Topics.VERDICTS, id, FleetJson.write(new ReviewVerdict(id, sealRequest.taskId(), sealRequest.attempt(), Verdict.APPROVED,
                null, PlannerFlowTest.commit("sealed"), List.of(), null, null)));

        List<MissionEvent> events = received.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        assertThat(events).extracting(MissionEvent::event).startsWith(MissionEvent.Kind.SUBMITTED, MissionEvent.Kind.PLANNED)
                .endsWith(MissionEvent.Kind.SEALED).doesNotHaveDuplicates();
        assertThat(events).extracting(MissionEvent::seq).isSorted();
        given().get("/api/v1/missions/ghost/events").then().statusCode(404);

        // A client that lost the stream resumes after the last event it saw: the SSE id is the event's seq.
        long seen = events.get(1).seq();
        HttpResponse<Stream<String>> resumed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(missionsUri + "/" + id + "/events"))
                .header("Authorization", "Bearer " + ApiTokens.withRoles(Roles.VIEWER)).header("Last-Event-ID", Long.toString(seen)).build(),
                HttpResponse.BodyHandlers.ofLines());
        List<String> lines = resumed.body().toList();
        List<Long> ids = lines.stream().filter(line -> line.startsWith("id:")).map(line -> Long.parseLong(line.substring(3).strip())).toList();
        List<MissionEvent> rest = lines.stream().filter(line -> line.startsWith("data:"))
                .map(line -> MessageCodec.decode(line.substring(5).strip(), MissionEvent.class)).toList();
        assertThat(rest).as("the events after %d, and only those", seen).extracting(MissionEvent::seq)
                .containsExactlyElementsOf(events.stream().map(MissionEvent::seq).filter(seq -> seq > seen).toList());
        assertThat(ids).as("each event's SSE id is its seq").containsExactlyElementsOf(rest.stream().map(MissionEvent::seq).toList());
        given().header("Last-Event-ID", events.get(events.size() - 1).seq()).get("/api/v1/missions/" + id + "/events")
                .then().statusCode(200).body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("data:")));
        for (String notAnEventId : List.of("yesterday", "-1", "9223372036854775808")) {
            given().header("Last-Event-ID", notAnEventId).get("/api/v1/missions/" + id + "/events")
                    .then().statusCode(400).body(org.hamcrest.Matchers.containsString("Last-Event-ID"));
        }
    }

    private static String mission(String id, String plan, String extra) {
        return """
                {"missionId":"%s","goal":"g","repo":{"url":"file:///tmp/none.git"},"plan":%s,%s}""".formatted(id, plan, extra);
    }

    private List<TaskAssignment> assignmentsOf(String missionId) {
        return read.getRecords().stream().filter(r -> r.topic().equals(Topics.TASKS))
                .map(r -> MessageCodec.decode(r.value(), TaskAssignment.class))
                .filter(t -> t.missionId().equals(missionId)).toList();
    }

    private TaskAssignment assignment(String missionId, String taskId, int attempt) {
        return MessageCodec.decode(Records.await(read, r -> {
            if (!r.topic().equals(Topics.TASKS)) {
                return false;
            }
            TaskAssignment t = MessageCodec.decode(r.value(), TaskAssignment.class);
            return t.missionId().equals(missionId) && t.taskId().equals(taskId) && t.attempt() == attempt;
        }, WAIT).value(), TaskAssignment.class);
    }

    private List<MissionEvent> events(String missionId) {
        return read.getRecords().stream().filter(r -> r.topic().equals(Topics.EVENTS) && missionId.equals(r.key()))
                .map(r -> MessageCodec.decode(r.value(), MissionEvent.class)).toList();
    }

    /** Plays worker and reviewer for one attempt: its result goes in, the planner asks for a review, the verdict comes back. */
    private void verdict(TaskAssignment task, Verdict verdict, String feedback, List<PlannedTask> plan, Usage usage) {
        TaskResult result = TaskResult.of(task, TaskStatus.SUCCEEDED, task.branch(), task.kind() == TaskKind.PLAN ? null
                : PlannerFlowTest.commit(task.taskId() + task.attempt()), List.of(), "did " + task.taskId(), plan, usage, 100,
                "test-worker", "ses", null);
        send(Topics.RESULTS, task.missionId(), FleetJson.write(result));
        ReviewRequest request = reviewRequest(task.missionId(), task.taskId(), task.attempt());
        if (task.kind() == TaskKind.PLAN) {
            assertThat(request.kind()).isEqualTo(ReviewRequest.Kind.PLAN);
            assertThat(request.plan()).isEqualTo(plan);
        }
        send(Topics.VERDICTS, task.missionId(), FleetJson.write(new ReviewVerdict(task.missionId(), task.taskId(), task.attempt(),
                verdict, feedback, verdict == Verdict.APPROVED && task.kind() == TaskKind.CODE ? PlannerFlowTest.commit("m" + task.taskId()) : null,
                List.of(), List.of(), null)));
    }

    private ReviewRequest reviewRequest(String missionId, String taskId, int attempt) {
        return MessageCodec.decode(Records.await(read, r -> {
            if (!r.topic().equals(Topics.REVIEWS) || !missionId.equals(r.key())) {
                return false;
            }
            ReviewRequest request = MessageCodec.decode(r.value(), ReviewRequest.class);
            return request.taskId().equals(taskId) && request.attempt() == attempt;
        }, WAIT).value(), ReviewRequest.class);
    }

    private void send(String topic, String key, String value) {
        kafka.produceStrings().fromRecords(new ProducerRecord<>(topic, key, value)).awaitCompletion();
    }
}
