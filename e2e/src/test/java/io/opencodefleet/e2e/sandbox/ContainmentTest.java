package io.opencodefleet.e2e.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.RecordedRequest;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import io.opencodefleet.e2e.LocalFleet;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Agents and checks run contained. The services hold secrets (a Kafka JAAS line, a token, as a deployment would give
 * them); an agent that dumps its environment, every readable {@code /proc/<pid>/environ}, the machine's root and its
 * slot's neighbours finds none of them and no other slot; a verify command that prints a secret it knows has it
 * masked before the output becomes feedback, so the secret reaches neither the API, nor the events, nor the next
 * attempt's prompt.
 */
class ContainmentTest {

    private static final String KAFKA_SECRET = "kafka-secret-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String TOKEN = "fleet-token-" + UUID.randomUUID().toString().substring(0, 8);
    /** Run as a script the agent wrote (OpenCode's own checks refuse a bash command that names paths outside the project). */
    private static final String PROBE = String.join("\n",
            "env > probe-env.txt",
            "for f in /proc/[0-9]*/environ; do echo \"== $f\"; tr '\\0' '\\n' < $f; done > probe-proc.txt 2>&1",
            "ls /proc | grep -c '^[0-9]' > probe-pids.txt",
            "ls -a .. > probe-neighbours.txt",
            "ls -a / > probe-root.txt",
            "cat ~/.git-credentials > probe-credentials.txt 2>&1",
            "ls -a ../../.. > probe-state.txt 2>&1",
            "cat ../../../api/token > probe-api-token.txt 2>&1; true", "");
    /**
     * The agent's own server is reachable (its port is among the machine's listening sockets, its password in the agent's
     * environment): every session it will show of this directory, as {@code GET /session} answers them.
     */
    private static final String SESSIONS_PROBE = String.join("\n",
            "for hex in $(awk 'NR > 1 && $4 == \"0A\" { split($2, a, \":\"); print a[2] }' /proc/net/tcp); do",
            "  curl -s -m 2 -u \"opencode:$OPENCODE_SERVER_PASSWORD\" \"http://127.0.0.1:$((0x$hex))/session?directory=$PWD\"; echo",
            "done > probe-sessions.txt; true", "");

    private static ScriptedModel model;
    private static LocalFleet fleet;

    @BeforeAll
    static void startFleet() {
        model = ScriptedModel.start(Script.of(
                Rule.when(Match.titleRequest()).reply(Turn.text("Fleet task")),
                Rule.when(Match.promptContains("[[sessions]]")).reply(Turn.write("sessions.sh", SESSIONS_PROBE), Turn.bash("sh sessions.sh"),
                        Turn.text("Listed the sessions")),
                Rule.when(Match.promptContains("[[probe]]").and(Match.promptContains("Feedback on attempt 1")))
                        .reply(Turn.write("probe.sh", PROBE), Turn.bash("sh probe.sh"), Turn.write("pass.txt", "pass\n"),
                                Turn.text("Probed again and added pass.txt")),
                Rule.when(Match.promptContains("[[probe]]")).reply(Turn.write("probe.sh", PROBE), Turn.bash("sh probe.sh"),
                        Turn.text("Probed the sandbox"))));
        fleet = new LocalFleet(model, 1, settings -> settings
                .slotsPerWorker(1) // one slot, so the next mission's agent works where the last one did
                .env("KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"fleet\" password=\""
                        + KAFKA_SECRET + "\";")
                .env("FLEET_DEPLOY_TOKEN", TOKEN));
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
    void agentsAndChecksSeeNoSecretOfTheFleetAndASecretInCheckOutputIsMasked() throws Exception {
        LocalRepository repo = LocalRepository.create(Files.createTempDirectory("containment-"), Map.of("README.md", "# probe\n",
                // The check knows the token (say a developer pasted it): it prints it, and fails until pass.txt exists.
                "check.sh", "#!/bin/sh\necho \"the token is " + TOKEN + "\"\nenv\ntest -f pass.txt\n"));
        String id = "probe-" + UUID.randomUUID().toString().substring(0, 6);
        var submitted = fleet.submit("""
                {"missionId":"%s","goal":"Probe","repo":{"url":"%s","baseRef":"main"},"verify":{"commands":["sh check.sh"],"timeoutSeconds":60},
                 "plan":[{"id":"p","title":"Probe","prompt":"[[probe]] look around"}]}""".formatted(id, repo.url()));
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        JsonNode view = fleet.awaitStatus(id, Duration.ofMinutes(4));
        assertThat(view.path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");

        String branch = "fleet/" + id;
        for (String probe : List.of("probe-env.txt", "probe-proc.txt", "probe-credentials.txt", "probe-pids.txt", "probe-neighbours.txt",
                "probe-root.txt", "probe-state.txt", "probe-api-token.txt")) {
            assertThat(repo.read(branch, probe)).as("the agent's %s was merged", probe).isNotNull();
        }
        String seen = String.join("\n", repo.read(branch, "probe-env.txt"), repo.read(branch, "probe-proc.txt"),
                repo.read(branch, "probe-credentials.txt"));
        assertThat(seen).as("what the agent could read").doesNotContain(KAFKA_SECRET).doesNotContain(TOKEN)
                .doesNotContain("KAFKA_SASL_JAAS_CONFIG").doesNotContain("FLEET_DEPLOY_TOKEN");
        assertThat(repo.read(branch, "probe-env.txt")).as("the agent's environment is an allowlist").doesNotContain("JAVA_HOME")
                .doesNotContain("QUARKUS");
        assertThat(Integer.parseInt(repo.read(branch, "probe-pids.txt").strip())).as("its /proc shows its own processes only").isLessThan(20);
        assertThat(repo.read(branch, "probe-neighbours.txt").lines().filter(l -> !l.equals(".") && !l.equals("..")))
                .as("next to its own working tree, no other slot is visible").hasSize(1).allMatch(l -> l.startsWith("slot-"));
        assertThat(repo.read(branch, "probe-root.txt")).as("no home directory").doesNotContain("\nroot\n").doesNotContain("\nhome\n");
        // The slot is <state>/workers/<worker>/<slot>: of the fleet's state dir only the agent's own corners exist
        // (its workspace, OpenCode's data, and the read-only model config the devstack hands OpenCode). No api/,
        // postgres/, kafka/ or logs/.
        assertThat(repo.read(branch, "probe-state.txt").lines().filter(l -> !l.equals(".") && !l.equals("..")))
                .as("the fleet's state dir, seen from the sandbox")
                .contains("workers")
                .doesNotContain("api", "postgres", "kafka", "logs", "planner", "reviewer")
                .isSubsetOf("workers", "opencode", "scripted-model");
        assertThat(repo.read(branch, "probe-api-token.txt")).doesNotContain(fleet.devstack().credentials().token()).contains("No such file");

        // The rejected attempt's feedback carried the check's output, with the token masked everywhere it went.
        JsonNode attempts = view.path("tasks").get(0).path("attempts");
        String feedback = attempts.get(0).path("feedback").asText();
        assertThat(feedback).contains("the token is ***").doesNotContain(TOKEN).doesNotContain(KAFKA_SECRET);
        assertThat(feedback).as("checks run with a cleared environment").doesNotContain("KAFKA_SASL_JAAS_CONFIG");
        assertThat(fleet.get("/api/v1/missions/" + id).body()).doesNotContain(TOKEN).doesNotContain(KAFKA_SECRET);
        String events = fleet.get("/api/v1/missions/" + id + "/events").body();
        assertThat(events).contains("the token is ***").doesNotContain(TOKEN);
        List<RecordedRequest> retries = model.agentRequests().stream().filter(r -> r.prompt().contains("Feedback on attempt 1")).toList();
        assertThat(retries).isNotEmpty().allSatisfy(r -> assertThat(r.prompt()).contains("the token is ***").doesNotContain(TOKEN));
        assertThat(fleet.logs()).doesNotContain(TOKEN).doesNotContain(KAFKA_SECRET);

        // The next mission on that slot: its agent reaches its own OpenCode server, which holds its session only.
        String next = "next-" + UUID.randomUUID().toString().substring(0, 6);
        assertThat(fleet.submit("""
                {"missionId":"%s","goal":"Look","repo":{"url":"%s","baseRef":"main"},"plan":[{"id":"s","prompt":"[[sessions]] list them"}]}"""
                .formatted(next, repo.url())).statusCode()).isEqualTo(202);
        assertThat(fleet.awaitStatus(next, Duration.ofMinutes(4)).path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");
        String sessions = repo.read("fleet/" + next, "probe-sessions.txt");
        assertThat(sessions).as("the probe reached its own server").contains(next + "/s a1");
        assertThat(sessions).as("no session of the mission before it on that slot").doesNotContain(id);
    }
}
