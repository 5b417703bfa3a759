package io.opencodefleet.reviewer;

import static org.assertj.core.api.Assertions.assertThat;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.RepoRef;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.common.messages.VerifySpec;
import io.opencodefleet.testkit.git.TestRepository;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.kafka.KafkaBrokerResource;
import io.opencodefleet.testkit.kafka.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reviewer over a real broker and real git: merge, checks, conflicts, idempotence, sealing, bad input. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerResource.class)
class MergeQueueFlowTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    // The project's check: every numbers/*.txt holds a positive integer.
    private static final String CHECK = "for f in numbers/*.txt; do n=$(cat $f); [ \"$n\" -gt 0 ] || { echo \"$f holds $n, not a positive number\"; exit 1; }; done";

    private TopicReader topics;
    private TestRepository repo;
    private String missionId;

    @BeforeEach
    void setUp() throws Exception {
        topics = new TopicReader(KafkaBroker.shared().bootstrapServers(), Topics.VERDICTS, Topics.dlq(Topics.RESULTS));
        missionId = "rv-" + UUID.randomUUID().toString().substring(0, 8);
        repo = TestRepository.create(Files.createTempDirectory("reviewer-test"), Map.of("numbers/one.txt", "1\n", "README.md", "numbers\n"));
    }

    @AfterEach
    void tearDown() {
        topics.close();
    }

    @Test
    void mergesOnlyGreenWorkOnceAndSealsTheBranch() {
        String integration = "fleet/" + missionId;
        String goodCommit = repo.commitOnBranch("fleet-tasks/" + missionId + "/a/a1", "main", Map.of("numbers/two.txt", "2\n"), "add two");
        ReviewVerdict approved = review(result("a", 1, goodCommit));
        assertThat(approved.verdict()).isEqualTo(Verdict.APPROVED);
        assertThat(approved.checks()).singleElement().satisfies(run -> assertThat(run.exitCode()).isZero());
        assertThat(repo.read(integration, "numbers/two.txt")).isEqualTo("2");
        assertThat(approved.mergedCommit()).isEqualTo(repo.git("ls-remote", "origin", integration).split("\\s")[0]);
        assertThat(repo.log(integration, "%(trailers:key=Fleet-Task,valueonly,separator=)", "--merges")).containsExactly("a");

        // Redelivered result: approved again, merged once.
        ReviewVerdict again = review(result("a", 1, goodCommit));
        assertThat(again.verdict()).isEqualTo(Verdict.APPROVED);
        assertThat(repo.log(integration, "%H", "--merges")).hasSize(1);

        // A later attempt of a task already merged (the planner re-dispatched it after a lost or late verdict)
        // is approved with the existing merge, never merged a second time.
        String secondAttempt = repo.commitOnBranch("fleet-tasks/" + missionId + "/a/a2", "main", Map.of("numbers/two.txt", "2\n", "x.txt", "x\n"), "again");
        ReviewVerdict later = review(result("a", 2, secondAttempt));
        assertThat(later.verdict()).isEqualTo(Verdict.APPROVED);
        assertThat(later.mergedCommit()).isEqualTo(approved.mergedCommit());
        assertThat(repo.log(integration, "%H", "--merges")).hasSize(1);
        assertThat(repo.read(integration, "x.txt")).isNull();

        // A commit that is not on its branch cannot be reviewed: ERROR, not a rejection of the agent's work.
        ReviewVerdict missing = review(result("e", 1, "0123456789abcdef0123456789abcdef01234567"));
        assertThat(missing.verdict()).isEqualTo(Verdict.ERROR);

        String badCommit = repo.commitOnBranch("fleet-tasks/" + missionId + "/b/a1", "main", Map.of("numbers/three.txt", "-3\n"), "add minus three");
        ReviewVerdict rejected = review(result("b", 1, badCommit));
        assertThat(rejected.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(rejected.feedback()).contains("failed with exit code 1").contains("numbers/three.txt holds -3, not a positive number");
        assertThat(repo.read(integration, "numbers/three.txt")).as("red work never reaches the integration branch").isNull();

        String conflicting = repo.commitOnBranch("fleet-tasks/" + missionId + "/c/a1", "main", Map.of("numbers/two.txt", "22\n"), "two, differently");
        ReviewVerdict conflict = review(result("c", 1, conflicting));
        assertThat(conflict.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(conflict.feedback()).startsWith("Merge conflict with the integration branch in: numbers/two.txt");

        TaskResult seal = new TaskResult(missionId, "_seal", 1, TaskStatus.SUCCEEDED, TaskKind.SEAL, null, null, null, null, null,
                null, 0, null, null, null, new RepoRef(repo.url(), "main"), integration,
                new VerifySpec(List.of(CHECK), 60, List.of("test -f numbers/two.txt")), null, null, null, null, null);
        ReviewVerdict sealed = review(seal);
        assertThat(sealed.verdict()).isEqualTo(Verdict.APPROVED);
        assertThat(sealed.checks()).extracting(run -> run.command()).containsExactly(CHECK, "test -f numbers/two.txt");
        assertThat(sealed.mergedCommit()).isEqualTo(approved.mergedCommit());
    }

    @Test
    void failedAttemptsAndEmptyWorkAreRejectedWithAReason() {
        TaskResult timedOut = new TaskResult(missionId, "t", 1, TaskStatus.TIMED_OUT, TaskKind.CODE, null, null, null, null, null,
                Usage.ZERO, 0, "w", null, new io.opencodefleet.common.messages.ErrorInfo("timeout", "no answer in 600s"),
                new RepoRef(repo.url(), "main"), "fleet/" + missionId, new VerifySpec(List.of(CHECK), 60, null), null, null, null, null, null);
        assertThat(review(timedOut).feedback()).isEqualTo("The previous attempt ended TIMED_OUT: no answer in 600s");
        ReviewVerdict empty = review(result("u", 1, null));
        assertThat(empty.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(empty.feedback()).contains("committed no change");
    }

    @Test
    void plansAreValidatedAndRejectedWithReasonsTheAgentCanAct() {
        PlannedTask a = new PlannedTask("a", null, "do a", List.of("c"), List.of("a.txt"));
        PlannedTask b = new PlannedTask("b", null, "do b", List.of("a"), List.of("shared.txt"));
        PlannedTask c = new PlannedTask("c", null, "do c", List.of("b"), List.of());
        ReviewVerdict cyclic = review(plan(1, List.of(a, b, c), null));
        assertThat(cyclic.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(cyclic.feedback()).contains("plan: dependency cycle a -> c -> b -> a");

        PlannedTask p = new PlannedTask("p", null, "do p", List.of(), List.of("shared.txt"));
        PlannedTask q = new PlannedTask("q", null, "do q", List.of(), List.of("shared.txt"));
        PlannedTask r = new PlannedTask("r", null, "do r", List.of("p"), List.of("shared.txt"));
        ReviewVerdict clash = review(plan(2, List.of(p, q, r), null));
        assertThat(clash.feedback()).contains("tasks 'p' and 'q' may run in parallel but both change shared.txt")
                .contains("tasks 'q' and 'r' may run in parallel").doesNotContain("'p' and 'r'");

        ReviewVerdict unreadable = review(plan(3, null, new io.opencodefleet.common.messages.ErrorInfo("plan", "no plan JSON in the final message")));
        assertThat(unreadable.feedback()).isEqualTo("No plan could be read from your final message: no plan JSON in the final message");

        ReviewVerdict good = review(plan(4, List.of(p, new PlannedTask("q", null, "do q", List.of("p"), List.of("shared.txt"))), null));
        assertThat(good.verdict()).isEqualTo(Verdict.APPROVED);
        assertThat(good.result().plan()).extracting(PlannedTask::id).containsExactly("p", "q");
    }

    private TaskResult plan(int attempt, List<PlannedTask> plan, io.opencodefleet.common.messages.ErrorInfo error) {
        return new TaskResult(missionId, "_plan", attempt, TaskStatus.SUCCEEDED, TaskKind.PLAN, null, null, List.of(), "planned",
                plan, Usage.ZERO, 10, "w", null, error, new RepoRef(repo.url(), "main"), "fleet/" + missionId,
                new VerifySpec(List.of(CHECK), 60, null), "Plan", "plan it", List.of(), null, null);
    }

    @Test
    void aMalformedResultGoesToTheDlqAndTheQueueGoesOn() {
        topics.send(Topics.RESULTS, missionId, "{\"type\":\"TaskResult\",\"taskId\":\"x\"}");
        ConsumerRecord<String, String> dead = topics.await(r -> r.topic().equals(Topics.dlq(Topics.RESULTS)) && missionId.equals(r.key()), WAIT);
        assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                .contains("missionId: must not be blank");
        String commit = repo.commitOnBranch("fleet-tasks/" + missionId + "/a/a1", "main", Map.of("numbers/two.txt", "2\n"), "add two");
        assertThat(review(result("a", 1, commit)).verdict()).isEqualTo(Verdict.APPROVED);
    }

    private TaskResult result(String taskId, int attempt, String commit) {
        return new TaskResult(missionId, taskId, attempt, TaskStatus.SUCCEEDED, TaskKind.CODE,
                "fleet-tasks/" + missionId + "/" + taskId + "/a" + attempt, commit, List.of(), "did " + taskId, null, new Usage(5, 5, 0),
                10, "w", null, null, new RepoRef(repo.url(), "main"), "fleet/" + missionId, new VerifySpec(List.of(CHECK), 60, null),
                "Task " + taskId, "do " + taskId, List.of(), null, null);
    }

    private ReviewVerdict review(TaskResult result) {
        int before = (int) topics.records().stream().filter(r -> r.topic().equals(Topics.VERDICTS) && missionId.equals(r.key())).count();
        topics.send(Topics.RESULTS, missionId, FleetJson.write(result));
        List<ConsumerRecord<String, String>> verdicts = topics.awaitCount(r -> r.topic().equals(Topics.VERDICTS) && missionId.equals(r.key()), before + 1, WAIT);
        return MessageCodec.decode(verdicts.get(before).value(), ReviewVerdict.class);
    }
}
