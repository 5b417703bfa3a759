package io.opencodefleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.kafka.Records;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.RecordedRequest;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Agents plan and review, end to end over the real services, OpenCode and git: planning from a goal alone,
 * review by agent, the on-error policy with resume, budgets, and cancellation of running work.
 */
class AgentsPlanAndReviewTest {

    private static final Duration MISSION_TIME = Duration.ofMinutes(4);
    private static final String REVIEW_PROMPT = "Review a change a coding agent made";
    private static final String PLAN_PROMPT = "Plan this coding mission";

    private static final String CYCLIC_PLAN = """
            ```json
            [{"id":"pa","title":"A","prompt":"[[pa]] create pa.txt","dependsOn":["pb"],"files":["pa.txt"]},
             {"id":"pb","title":"B","prompt":"[[pb]] create pb.txt","dependsOn":["pa"],"files":["pb.txt"]}]
            ```""";
    private static final String GOOD_PLAN = """
            Here is the plan.
            ```json
            [{"id":"pa","title":"A","prompt":"[[pa]] create pa.txt","dependsOn":[],"files":["pa.txt"]},
             {"id":"pb","title":"B","prompt":"[[pb]] create pb.txt","dependsOn":["pa"],"files":["pb.txt"]}]
            ```""";

    private static ScriptedModel model;
    private static LocalFleet fleet;
    private KafkaCompanion kafka;
    private ConsumerTask<String, String> read;
    private LocalRepository repo;

    @BeforeAll
    static void startFleet() {
        model = ScriptedModel.start(Script.of(
                // The planning agent: a cyclic plan first, a valid one once the rejection is in its prompt.
                Rule.when(Match.promptContains(PLAN_PROMPT).and(Match.promptContains("The plan was rejected"))).reply(Turn.text(GOOD_PLAN)),
                Rule.when(Match.promptContains(PLAN_PROMPT)).reply(Turn.text(CYCLIC_PLAN)),
                // The review agent: rejects lr.txt until it carries the line it asked for.
                Rule.when(Match.promptContains(REVIEW_PROMPT).and(Match.promptContains("+reviewed"))).reply(Turn.text("VERDICT: APPROVE\nLooks right.")),
                Rule.when(Match.promptContains(REVIEW_PROMPT)).reply(Turn.text("VERDICT: REJECT\nlr.txt must end with a line saying: reviewed")),
                Rule.when(Match.promptContains("[[lr]]").and(Match.promptContains("Feedback on attempt 1")))
                        .reply(Turn.write("lr.txt", "lr\nreviewed\n"), Turn.text("Added the reviewed line")),
                // on-error: the right content only once a person's guidance is in the prompt.
                Rule.when(Match.promptContains("[[oe]]").and(Match.promptContains("GUIDANCE-42")))
                        .reply(Turn.write("oe.txt", "good\n"), Turn.text("Wrote good")),
                Rule.when(Match.promptContains("[[oe]]")).reply(Turn.write("oe.txt", "bad\n"), Turn.text("Wrote bad")),
                // cancel: a model that never finishes its answer.
                Rule.when(Match.promptContains("[[hang]]")).reply(Turn.hang()),
                // Every other task [[x]] writes x.txt.
                Rule.when(Match.promptContains("[[pa]]")).reply(Turn.write("pa.txt", "pa\n"), Turn.text("Wrote pa.txt")),
                Rule.when(Match.promptContains("[[pb]]")).reply(Turn.write("pb.txt", "pb\n"), Turn.text("Wrote pb.txt")),
                Rule.when(Match.promptContains("[[lr]]")).reply(Turn.write("lr.txt", "lr\n"), Turn.text("Wrote lr.txt")),
                Rule.when(Match.promptContains("[[ba]]")).reply(Turn.write("ba.txt", "ba\n"), Turn.text("Wrote ba.txt")),
                Rule.when(Match.promptContains("[[bb]]")).reply(Turn.write("bb.txt", "bb\n"), Turn.text("Wrote bb.txt"))));
        fleet = new LocalFleet(model, 1);
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
    void setUp() throws IOException {
        kafka = new KafkaCompanion(KafkaBroker.shared().bootstrapServers());
        read = kafka.consumeStrings().fromTopics(Topics.RESULTS);
        repo = LocalRepository.create(Files.createTempDirectory("e2e-agents-"), Map.of("README.md", "# Sample\n"));
    }

    @AfterEach
    void tearDown() {
        kafka.close();
    }

    private String mission(String id, String body) {
        return """
                {"missionId":"%s","repo":{"url":"%s","baseRef":"main"},%s}""".formatted(id, repo.url(), body);
    }

    private static String newId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    @Test
    void aGoalAloneIsPlannedByAnAgentWhoseCyclicPlanIsRejectedWithTheCycleNamed() {
        String id = newId("goal");
        assertThat(fleet.submit(mission(id, """
                "goal":"Create pa.txt and pb.txt","verify":{"commands":["test -f README.md"]}""")).statusCode()).isEqualTo(202);
        JsonNode view = fleet.awaitStatus(id, MISSION_TIME);
        assertThat(view.path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");

        JsonNode plan = task(view, "_plan");
        assertThat(plan.path("attempts")).extracting(a -> a.path("verdict").asText()).containsExactly("REJECTED", "APPROVED");
        assertThat(plan.path("attempts").get(0).path("feedback").asText()).contains("plan: dependency cycle pa -> pb -> pa");
        List<RecordedRequest> planning = model.agentRequests().stream().filter(r -> r.prompt().contains(PLAN_PROMPT)).toList();
        assertThat(planning).anySatisfy(r -> assertThat(r.prompt()).contains("plan: dependency cycle pa -> pb -> pa"));
        assertThat(planning).allSatisfy(r -> assertThat(r.toolNames()).as("the planner is read-only").doesNotContain("write", "edit", "bash"));
        assertThat(repo.log("fleet/" + id, "%(trailers:key=Fleet-Task,valueonly,separator=)", "--merges")).containsExactly("pb", "pa");
        assertThat(repo.read("fleet/" + id, "pb.txt")).isEqualTo("pb");
    }

    @Test
    void theReviewAgentRejectsOnceAndItsCommentReachesTheRetry() {
        String id = newId("review");
        fleet.submit(mission(id, """
                "goal":"Write lr.txt","review":{"llm":true},"verify":{"commands":["test -f lr.txt"]},
                "plan":[{"id":"lr","prompt":"[[lr]] create lr.txt"}]"""));
        JsonNode view = fleet.awaitStatus(id, MISSION_TIME);
        assertThat(view.path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");
        JsonNode lr = task(view, "lr");
        assertThat(lr.path("attempts")).extracting(a -> a.path("verdict").asText()).containsExactly("REJECTED", "APPROVED");
        assertThat(lr.path("attempts").get(0).path("feedback").asText())
                .isEqualTo("The review agent rejected the change:\nlr.txt must end with a line saying: reviewed");
        assertThat(model.agentRequests()).anySatisfy(r -> assertThat(r.prompt())
                .contains("[[lr]]").contains("Feedback on attempt 1").contains("lr.txt must end with a line saying: reviewed"));
        assertThat(model.agentRequests().stream().filter(r -> r.prompt().contains(REVIEW_PROMPT)))
                .allSatisfy(r -> assertThat(r.toolNames()).as("the reviewer is read-only").doesNotContain("write", "edit", "bash"));
        assertThat(repo.read("fleet/" + id, "lr.txt")).isEqualTo("lr\nreviewed");
        assertThat(view.path("usage").path("inputTokens").asLong()).as("review tokens count too").isGreaterThan(4 * 100);
    }

    @Test
    void onErrorPausesTheMissionAndResumeGuidanceReachesTheNextPrompt() {
        String id = newId("onerr");
        fleet.submit(mission(id, """
                "goal":"Write oe.txt","review":{"intervene":"on-error"},"limits":{"maxAttempts":1},
                "verify":{"commands":["test \\"$(cat oe.txt)\\" = good || { echo oe.txt says $(cat oe.txt); exit 1; }"]},
                "plan":[{"id":"oe","prompt":"[[oe]] create oe.txt"}]"""));
        JsonNode paused = fleet.awaitStatus(id, MISSION_TIME, "PAUSED", "FAILED", "SEALED");
        assertThat(paused.path("status").asText()).as(fleet.logs()).isEqualTo("PAUSED");
        assertThat(paused.path("statusReason").asText()).contains("task oe failed after 1 attempts").contains("oe.txt says bad");

        assertThat(fleet.post("/api/v1/missions/" + id + "/resume", "{\"guidance\":\"GUIDANCE-42: oe.txt must say good\"}").statusCode()).isEqualTo(200);
        JsonNode view = fleet.awaitStatus(id, MISSION_TIME);
        assertThat(view.path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");
        assertThat(model.agentRequests()).anySatisfy(r -> assertThat(r.prompt()).contains("[[oe]]").contains("GUIDANCE-42: oe.txt must say good"));
        assertThat(repo.read("fleet/" + id, "oe.txt")).isEqualTo("good");
    }

    @Test
    void aSmallTokenBudgetStopsTheMissionWithTheReason() {
        String id = newId("budget");
        fleet.submit(mission(id, """
                "goal":"Write two files","limits":{"budgetTokens":200},"verify":{"commands":["true"]},
                "plan":[{"id":"ba","prompt":"[[ba]] create ba.txt"},{"id":"bb","prompt":"[[bb]] create bb.txt","dependsOn":["ba"]}]"""));
        JsonNode view = fleet.awaitStatus(id, MISSION_TIME);
        assertThat(view.path("status").asText()).as(fleet.logs()).isEqualTo("FAILED");
        assertThat(view.path("statusReason").asText()).startsWith("budget spent: ").endsWith(" tokens used of 200");
        assertThat(task(view, "ba").path("status").asText()).isEqualTo("DONE");
        assertThat(task(view, "bb").path("attempts")).as("bb is never dispatched").isEmpty();
    }

    @Test
    void cancelAbortsTheRunningSessionAndNothingIsMerged() {
        String id = newId("cancel");
        fleet.submit(mission(id, """
                "goal":"Hang","verify":{"commands":["true"]},"plan":[{"id":"hang","prompt":"[[hang]] never finishes"}]"""));
        fleet.awaitStatus(id, MISSION_TIME, "RUNNING");
        // RUNNING comes with the first heartbeat; the session and its attach URL with a later one (JSON null until
        // then, which asText() would read as the text "null").
        JsonNode hang = org.awaitility.Awaitility.await().atMost(MISSION_TIME)
                .until(() -> task(LocalFleet.json(fleet.get("/api/v1/missions/" + id).body()), "hang"),
                        running -> "RUNNING".equals(running.path("status").asText()) && running.path("opencodeSession").isTextual()
                                && running.path("opencodeUrl").isTextual());

        // While it runs, an operator attaches through the worker's proxy with the fleet's token; nobody else can.
        String session = hang.path("opencodeUrl").asText() + "/session/" + hang.path("opencodeSession").asText();
        assertThat(attach(session, "fleet:" + fleet.devstack().credentials().token()))
                .as("the live session, read through the proxy from the real OpenCode").satisfies(r -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(LocalFleet.json(r.body()).path("id").asText()).isEqualTo(hang.path("opencodeSession").asText());
                });
        assertThat(attach(session, null).statusCode()).as("no token").isEqualTo(401);
        assertThat(attach(session, "fleet:not-a-token").statusCode()).as("a wrong token").isEqualTo(401);

        long cancelled = System.nanoTime();
        assertThat(fleet.post("/api/v1/missions/" + id + "/cancel", null).statusCode()).isEqualTo(200);
        // Stated bound: the worker reports the aborted session within 20 s of the cancel (measured: about 1 s).
        TaskResult result = MessageCodec.decode(Records.await(read, r -> id.equals(r.key()) && r.value().contains("\"CANCELLED\""),
                Duration.ofSeconds(20)).value(), TaskResult.class);
        System.out.printf("cancel -> CANCELLED result in %d ms%n", (System.nanoTime() - cancelled) / 1_000_000);
        assertThat(result.status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(result.commit()).isNull();
        assertThat(LocalFleet.json(fleet.get("/api/v1/missions/" + id).body()).path("status").asText()).isEqualTo("CANCELLED");
        assertThat(repo.hasBranch("fleet/" + id) ? repo.log("fleet/" + id, "%H", "--merges") : List.of()).as("nothing merged").isEmpty();
    }

    private static HttpResponse<String> attach(String url, String basicCredentials) {
        var request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (basicCredentials != null) {
            request.header("authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(basicCredentials.getBytes(StandardCharsets.UTF_8)));
        }
        try {
            return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("attach " + url, e);
        }
    }

    private static JsonNode task(JsonNode view, String taskId) {
        for (JsonNode task : view.path("tasks")) {
            if (task.path("taskId").asText().equals(taskId)) {
                return task;
            }
        }
        throw new AssertionError("no task " + taskId + " in " + view);
    }
}
