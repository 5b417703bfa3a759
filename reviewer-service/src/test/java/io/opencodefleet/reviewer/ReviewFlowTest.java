package io.opencodefleet.reviewer;

import static org.assertj.core.api.Assertions.assertThat;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.RepoRef;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.common.messages.VerifySpec;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.kafka.KafkaBrokerResource;
import io.opencodefleet.testkit.kafka.Records;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import org.apache.kafka.clients.producer.ProducerRecord;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.opencodefleet.reviewer.review.ScratchClones;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reviewer over a real broker and real git, taking review requests as the planner sends them: merge, checks,
 * conflicts, idempotence (within a mission, never across missions), plans, sealing, bad input.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerResource.class)
class ReviewFlowTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    // The project's check: every numbers/*.txt holds a positive integer.
    private static final String CHECK = "for f in numbers/*.txt; do n=$(cat $f); [ \"$n\" -gt 0 ] || { echo \"$f holds $n, not a positive number\"; exit 1; }; done";

    @Inject
    ScratchClones clones;

    private KafkaCompanion kafka;
    private ConsumerTask<String, String> read;
    private LocalRepository repo;
    private String missionId;

    @BeforeEach
    void setUp() throws Exception {
        kafka = new KafkaCompanion(KafkaBroker.shared().bootstrapServers());
        read = kafka.consumeStrings().fromTopics(Topics.VERDICTS, Topics.dlq(Topics.REVIEWS));
        missionId = "rv-" + UUID.randomUUID().toString().substring(0, 8);
        repo = LocalRepository.create(Files.createTempDirectory("reviewer-test"), Map.of("numbers/one.txt", "1\n", "README.md", "numbers\n"));
    }

    @AfterEach
    void tearDown() {
        kafka.close();
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

        ReviewRequest seal = new ReviewRequest(missionId, "_seal", 1, ReviewRequest.Kind.SEAL, new RepoRef(repo.url(), "main"),
                integration, null, null, new VerifySpec(List.of(CHECK), 60, List.of("test -f numbers/two.txt")), null, null, "E2E", null,
                List.of(), null);
        ReviewVerdict sealed = review(seal);
        assertThat(sealed.verdict()).isEqualTo(Verdict.APPROVED);
        assertThat(sealed.checks()).extracting(run -> run.command()).containsExactly(CHECK, "test -f numbers/two.txt");
        assertThat(sealed.mergedCommit()).isEqualTo(approved.mergedCommit());
    }

    @Test
    void aTaskIdAnotherMissionMergedIsMergedAgainForThisMission() {
        String otherMission = missionId + "-other";
        String theirs = repo.commitOnBranch("fleet-tasks/" + otherMission + "/a/a1", "main", Map.of("numbers/five.txt", "5\n"), "theirs");
        ReviewVerdict other = review(merge(otherMission, "a", 1, theirs));
        assertThat(other.verdict()).isEqualTo(Verdict.APPROVED);

        // Same task id, same repository, another mission (whose integration branch starts where the other's is):
        // its own work is merged, not approved as the other mission's merge.
        LocalRepository.git(repo.bareDir(), "branch", "fleet/" + missionId, "fleet/" + otherMission);
        String mine = repo.commitOnBranch("fleet-tasks/" + missionId + "/a/a1", "main", Map.of("numbers/six.txt", "6\n"), "mine");
        ReviewVerdict ours = review(merge(missionId, "a", 1, mine));
        assertThat(ours.verdict()).isEqualTo(Verdict.APPROVED);
        assertThat(ours.mergedCommit()).isNotEqualTo(other.mergedCommit());
        assertThat(repo.read("fleet/" + missionId, "numbers/six.txt")).isEqualTo("6");
        assertThat(repo.log("fleet/" + missionId, "%(trailers:key=Fleet-Mission,valueonly,separator=)", "--merges"))
                .containsExactly(missionId, otherMission);
    }

    @Test
    void aCloneNoSealDeletesIsSweptOnceIdleButNeverUnderAReview() throws Exception {
        Path clone = Path.of(ConfigProvider.getConfig().getValue("fleet.reviewer.work-dir", String.class)).resolve(missionId);
        String first = repo.commitOnBranch("fleet-tasks/" + missionId + "/a/a1", "main", Map.of("numbers/two.txt", "2\n"), "add two");
        assertThat(review(result("a", 1, first)).verdict()).isEqualTo(Verdict.APPROVED);
        assertThat(clone.resolve(".git")).isDirectory();

        // No seal comes (the mission failed or was cancelled). A sweep keeps a clone used lately...
        clones.deleteUnusedSince(Instant.now().minus(Duration.ofHours(1)));
        assertThat(clone).isDirectory();
        // ...and one that a review holds, however idle the cutoff makes it look...
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread review = new Thread(() -> clones.using(missionId, () -> {
            holding.countDown();
            try {
                return release.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }));
        review.start();
        assertThat(holding.await(1, TimeUnit.MINUTES)).isTrue();
        clones.deleteUnusedSince(Instant.now().plusSeconds(60));
        assertThat(clone).as("the clone a review holds").isDirectory();
        release.countDown();
        review.join();
        // ...and deletes it once idle.
        clones.deleteUnusedSince(Instant.now().plusSeconds(60));
        assertThat(clone).doesNotExist();

        // The mission comes back (resumed): its next merge clones again, on top of what was merged before.
        String second = repo.commitOnBranch("fleet-tasks/" + missionId + "/b/a1", "main", Map.of("numbers/three.txt", "3\n"), "add three");
        assertThat(review(result("b", 1, second)).verdict()).isEqualTo(Verdict.APPROVED);
        assertThat(repo.log("fleet/" + missionId, "%(trailers:key=Fleet-Task,valueonly,separator=)", "--merges")).containsExactly("b", "a");
    }

    @Test
    void plansAreValidatedAndRejectedWithReasonsTheAgentCanAct() {
        PlannedTask a = new PlannedTask("a", null, "do a", List.of("c"), List.of("a.txt"));
        PlannedTask b = new PlannedTask("b", null, "do b", List.of("a"), List.of("shared.txt"));
        PlannedTask c = new PlannedTask("c", null, "do c", List.of("b"), List.of());
        ReviewVerdict cyclic = review(plan(1, List.of(a, b, c)));
        assertThat(cyclic.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(cyclic.feedback()).contains("plan: dependency cycle a -> c -> b -> a");

        PlannedTask p = new PlannedTask("p", null, "do p", List.of(), List.of("shared.txt"));
        PlannedTask q = new PlannedTask("q", null, "do q", List.of(), List.of("shared.txt"));
        PlannedTask r = new PlannedTask("r", null, "do r", List.of("p"), List.of("shared.txt"));
        ReviewVerdict clash = review(plan(2, List.of(p, q, r)));
        assertThat(clash.feedback()).contains("tasks 'p' and 'q' may run in parallel but both change shared.txt")
                .contains("tasks 'q' and 'r' may run in parallel").doesNotContain("'p' and 'r'");

        ReviewVerdict empty = review(plan(3, List.of()));
        assertThat(empty.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(empty.feedback()).contains("plan: must hold at least one task");

        ReviewVerdict good = review(plan(4, List.of(p, new PlannedTask("q", null, "do q", List.of("p"), List.of("shared.txt")))));
        assertThat(good.verdict()).isEqualTo(Verdict.APPROVED);
    }

    private ReviewRequest plan(int attempt, List<PlannedTask> plan) {
        return new ReviewRequest(missionId, "_plan", attempt, ReviewRequest.Kind.PLAN, new RepoRef(repo.url(), "main"), "fleet/" + missionId,
                null, null, new VerifySpec(List.of(CHECK), 60, null), null, null, "Plan", "plan it", List.of(), plan);
    }

    @Test
    void aMalformedRequestGoesToTheDlqAndTheQueueGoesOn() {
        send(Topics.REVIEWS, missionId, "{\"type\":\"ReviewRequest\",\"taskId\":\"x\"}");
        ConsumerRecord<String, String> dead = Records.await(read, r -> r.topic().equals(Topics.dlq(Topics.REVIEWS)) && missionId.equals(r.key()), WAIT);
        assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                .contains("missionId: must not be blank");
        String commit = repo.commitOnBranch("fleet-tasks/" + missionId + "/a/a1", "main", Map.of("numbers/two.txt", "2\n"), "add two");
        assertThat(review(result("a", 1, commit)).verdict()).isEqualTo(Verdict.APPROVED);
    }

    @Test
    void aForgedRequestWhoseMissionIdIsAPathTouchesNothingAndIsDeadLettered() throws Exception {
        java.nio.file.Path workDir = java.nio.file.Path.of(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("fleet.reviewer.work-dir", String.class));
        java.nio.file.Path victim = Files.createDirectories(workDir.getParent().resolve("victim-" + missionId));
        Files.writeString(victim.resolve("keep.txt"), "keep");
        for (String id : List.of("../victim-" + missionId, victim.toString(), "..", "a/../../victim-" + missionId)) {
            String forged = FleetJson.write(merge(missionId, "a", 1, "0123456789abcdef0123456789abcdef01234567"))
                    .replace("\"missionId\":\"" + missionId + "\"", "\"missionId\":" + FleetJson.write(id));
            send(Topics.REVIEWS, missionId, forged);
        }
        List<ConsumerRecord<String, String>> dead = Records.awaitCount(read, r -> r.topic().equals(Topics.dlq(Topics.REVIEWS))
                && missionId.equals(r.key()), 4, WAIT);
        assertThat(dead).allSatisfy(r -> assertThat(new String(r.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                .startsWith("missionId: must be"));
        assertThat(victim.resolve("keep.txt")).hasContent("keep");
    }

    private ReviewRequest result(String taskId, int attempt, String commit) {
        return merge(missionId, taskId, attempt, commit);
    }

    private ReviewRequest merge(String mission, String taskId, int attempt, String commit) {
        return new ReviewRequest(mission, taskId, attempt, ReviewRequest.Kind.MERGE, new RepoRef(repo.url(), "main"), "fleet/" + mission,
                "fleet-tasks/" + mission + "/" + taskId + "/a" + attempt, commit, new VerifySpec(List.of(CHECK), 60, null), null, null,
                "Task " + taskId, "do " + taskId, List.of(), null);
    }

    private ReviewVerdict review(ReviewRequest request) {
        String mission = request.missionId();
        int before = (int) read.getRecords().stream().filter(r -> r.topic().equals(Topics.VERDICTS) && mission.equals(r.key())).count();
        send(Topics.REVIEWS, mission, FleetJson.write(request));
        List<ConsumerRecord<String, String>> verdicts = Records.awaitCount(read, r -> r.topic().equals(Topics.VERDICTS) && mission.equals(r.key()), before + 1, WAIT);
        return MessageCodec.decode(verdicts.get(before).value(), ReviewVerdict.class);
    }

    private void send(String topic, String key, String value) {
        kafka.produceStrings().fromRecords(new ProducerRecord<>(topic, key, value)).awaitCompletion();
    }
}
