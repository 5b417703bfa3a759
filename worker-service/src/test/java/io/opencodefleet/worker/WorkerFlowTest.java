package io.opencodefleet.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.opencodefleet.common.messages.ControlCommand;
import io.opencodefleet.common.messages.ErrorInfo;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.RepoRef;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.kafka.KafkaBrokerResource;
import io.opencodefleet.testkit.kafka.Records;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import org.apache.kafka.clients.producer.ProducerRecord;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker over a real broker and real git, with the agent played by the test ({@link ScriptedAgent}): one commit
 * per attempt with the trailers, duplicate deliveries run once, stops reach running attempts, the fleet's trouble is
 * told apart from the agent's, and nothing one attempt does to its slot survives into the next (one slot here, so
 * every task reuses it).
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerResource.class)
class WorkerFlowTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Inject
    ScriptedAgent agent;

    private KafkaCompanion kafka;
    private ConsumerTask<String, String> read;
    private LocalRepository repo;
    private String missionId;

    @BeforeEach
    void setUp() throws Exception {
        kafka = new KafkaCompanion(KafkaBroker.shared().bootstrapServers());
        read = kafka.consumeStrings().fromTopics(Topics.RESULTS, Topics.PROGRESS);
        missionId = "wk-" + UUID.randomUUID().toString().substring(0, 8);
        repo = LocalRepository.create(Files.createTempDirectory("worker-test"), Map.of("README.md", "# sample\n"));
    }

    @AfterEach
    void tearDown() {
        kafka.close();
    }

    @Test
    void anAttemptIsOneCommitWithTrailersOnItsBranchEvenWhenTheAgentCommitsItself() {
        TaskResult result = run(assignment("a", 1, "[[write a.txt]]\n[[commit]]\n[[write b.txt]]"));
        assertThat(result.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(result.branch()).isEqualTo("fleet-tasks/" + missionId + "/a/a1");
        assertThat(result.changedFiles()).containsExactlyInAnyOrder("a.txt", "b.txt");
        assertThat(repo.log(result.branch(), "%H", "main..")).containsExactly(result.commit());
        assertThat(repo.log(result.branch(), "%(trailers:key=Fleet-Mission,valueonly,separator=)|%(trailers:key=Fleet-Task,valueonly,separator=)|%(trailers:key=Fleet-Attempt,valueonly,separator=)", "-1"))
                .containsExactly(missionId + "|a|1");
        assertThat(result.usage().inputTokens()).isEqualTo(10);
        assertThat(read.getRecords()).anySatisfy(r -> assertThat(r.topic()).isEqualTo(Topics.PROGRESS));
    }

    @Test
    void anAssignmentDeliveredTwiceAtOnceRunsOnceAndBothAnswersNameOneCommit() {
        int before = agent.starts();
        TaskAssignment task = assignment("twice", 1, "[[slow]]\n[[write t.txt]]");
        send(Topics.TASKS, task.taskId(), FleetJson.write(task));
        send(Topics.TASKS, task.taskId(), FleetJson.write(task));
        List<TaskResult> results = results("twice", 1, 2);
        assertThat(results).extracting(TaskResult::commit).containsOnly(results.get(0).commit()).doesNotContainNull();
        assertThat(agent.starts() - before).isEqualTo(1);
    }

    @Test
    void anAttemptWhoseWorkWasPushedBeforeIsReportedNotRunAgain() {
        // Another worker ran attempt 1 to completion and pushed, but its result was lost: the planner sent it again.
        String pushed = repo.commitOnBranch("fleet-tasks/" + missionId + "/again/a1", "main", Map.of("again.txt", "again\n"), "earlier run");
        int before = agent.starts();
        TaskResult result = run(assignment("again", 1, "[[write other.txt]]"));
        assertThat(result.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(result.commit()).isEqualTo(pushed);
        assertThat(result.changedFiles()).containsExactly("again.txt");
        assertThat(agent.starts()).isEqualTo(before);
    }

    @Test
    void aStopForASupersededAttemptEndsItAndItsResultSaysCancelled() {
        TaskAssignment task = assignment("stuck", 1, "[[hang]]");
        send(Topics.TASKS, task.taskId(), FleetJson.write(task));
        Records.await(read, r -> r.topic().equals(Topics.PROGRESS) && r.value().contains("\"stuck\"") && r.value().contains("\"agent\""), WAIT);
        send(Topics.CONTROL, missionId, FleetJson.write(new ControlCommand(missionId, ControlCommand.Command.CANCEL, "stuck",
                "attempt 2 replaced it", Instant.now(), 1)));
        TaskResult result = results("stuck", 1, 1).get(0);
        assertThat(result.status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(result.error().kind()).isEqualTo(ErrorInfo.CANCELLED);
        assertThat(result.error().message()).isEqualTo("attempt 2 replaced it");
    }

    @Test
    void theFleetsTroubleIsToldApartFromTheAgents() {
        TaskResult provider = run(assignment("provider", 1, "[[fail-infra]]"));
        assertThat(provider.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(provider.error().kind()).isEqualTo(ErrorInfo.INFRASTRUCTURE);
        assertThat(provider.error().agentsFault()).isFalse();

        TaskAssignment gone = new TaskAssignment(missionId, "gone", 1, TaskKind.CODE, "Gone", "[[write g.txt]]", null, null,
                new RepoRef("file:///nonexistent/repo.git", "main"), "fleet-tasks/" + missionId + "/gone/a1", "fleet/" + missionId,
                null, 60, List.of());
        TaskResult noRemote = run(gone);
        assertThat(noRemote.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(noRemote.error().kind()).as(noRemote.error().message()).isEqualTo(ErrorInfo.INFRASTRUCTURE);

        TaskResult broke = run(assignment("broke", 1, "[[break-git]]\n[[write x.txt]]"));
        assertThat(broke.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(broke.error().kind()).as("the agent broke its own .git").isEqualTo(ErrorInfo.AGENT);

        TaskResult after = run(assignment("after", 1, "[[write y.txt]]"));
        assertThat(after.status()).as("the slot heals: the next task works").isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(after.changedFiles()).containsExactly("y.txt");
    }

    @Test
    void whatAnAttemptPlantsInItsSlotNeverRunsOrSurvives() throws Exception {
        Path marker = Path.of(System.getProperty("java.io.tmpdir"), "fleet-worker-planted-" + ProcessHandle.current().pid());
        Files.deleteIfExists(marker);
        TaskResult planted = run(assignment("plant", 1, "[[plant]]\n[[write p.txt]]"));
        assertThat(planted.status()).isEqualTo(TaskStatus.SUCCEEDED);
        TaskResult next = run(assignment("next", 1, "[[write n.txt]]\n[[list-refs]]"));
        assertThat(next.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(next.changedFiles()).containsExactlyInAnyOrder("n.txt", "refs.txt");
        assertThat(marker).as("no planted hook or fsmonitor ran in the fleet's git").doesNotExist();
        assertThat(repo.read(next.branch(), "refs.txt").lines()).as("refs the next attempt sees: its branch and where it starts, no planted branch, tag, stash or alternates")
                .containsExactlyInAnyOrder("refs/heads/" + next.branch(), "refs/remotes/origin/main");
    }

    private TaskAssignment assignment(String taskId, int attempt, String prompt) {
        return new TaskAssignment(missionId, taskId, attempt, TaskKind.CODE, "Task " + taskId, prompt, "Mission goal: test", null,
                new RepoRef(repo.url(), "main"), "fleet-tasks/" + missionId + "/" + taskId + "/a" + attempt, "fleet/" + missionId,
                null, 60, List.of());
    }

    private TaskResult run(TaskAssignment task) {
        send(Topics.TASKS, task.taskId(), FleetJson.write(task));
        return results(task.taskId(), task.attempt(), 1).get(0);
    }

    private List<TaskResult> results(String taskId, int attempt, int count) {
        return Records.awaitCount(read, r -> {
            if (!r.topic().equals(Topics.RESULTS) || !missionId.equals(r.key())) {
                return false;
            }
            TaskResult result = MessageCodec.decode(r.value(), TaskResult.class);
            return result.taskId().equals(taskId) && result.attempt() == attempt;
        }, count, WAIT).stream().map(r -> MessageCodec.decode(r.value(), TaskResult.class)).toList();
    }

    private void send(String topic, String key, String value) {
        kafka.produceStrings().fromRecords(new ProducerRecord<>(topic, key, value)).awaitCompletion();
    }
}
