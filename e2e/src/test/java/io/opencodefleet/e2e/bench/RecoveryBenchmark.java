package io.opencodefleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import io.opencodefleet.e2e.LocalFleet;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * How fast the fleet heals, side by side in one run, on the chaos suite's local fleet (two workers, lease 15 s,
 * heartbeats every 2 s, the scripted model taking 1.2 s per call so work is in flight):
 *
 * <ul>
 *   <li><b>kill -9 of a worker</b> running a task → the task's next attempt dispatched to the other worker
 *       (bounded by the lease: the planner cannot tell a dead worker from a slow one sooner);</li>
 *   <li><b>{@code down}/{@code up}</b> with the mission in flight → {@code up} ready, and → the first task
 *       dispatched after it (deadlines of QUEUED and RUNNING work re-drive what the wiped assignments carried).</li>
 * </ul>
 *
 * Run with {@code bin/bench} or {@code java ... RecoveryBenchmark [rounds]}.
 */
public final class RecoveryBenchmark {

    private static final Duration WAIT = Duration.ofMinutes(3);

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        ScriptedModel model = ScriptedModel.start(Script.of(
                Rule.when(Match.titleRequest()).reply(Turn.text("Fleet task")),
                Rule.when(Match.promptContains("[[")).reply(Turn.bash("date +%s%N > \"out-$$.txt\""), Turn.text("done")))
                .withDelay(Duration.ofMillis(1200)));
        int status = 0;
        try (LocalFleet fleet = new LocalFleet(model, 2, settings -> settings
                .externalKafka(null)
                .plannerProperty("fleet.lease", "15s")
                .plannerProperty("fleet.deadlines.queued", "10s")
                .plannerProperty("fleet.deadlines.review", "20s")
                .workerProperty("fleet.worker.heartbeat-interval", "2s")
                .workerProperty("fleet.worker.drain-timeout", "5s"))) {
            Stats killToRedispatch = new Stats();
            Stats upReady = new Stats();
            Stats upToDispatch = new Stats();
            for (int round = 1; round <= rounds; round++) {
                double kill = workerKill(fleet);
                double[] downUp = downUp(fleet);
                killToRedispatch.add(kill);
                upReady.add(downUp[0]);
                upToDispatch.add(downUp[1]);
                System.out.printf("round %d: kill -9 → redispatch %.0f ms; up ready %.0f ms, then first dispatch %.0f ms%n",
                        round, kill, downUp[0], downUp[1]);
            }
            System.out.println("| recovery (lease 15 s) | median | max | n |");
            System.out.println("| --- | --- | --- | --- |");
            row("kill -9 of a worker mid-task → its task dispatched again", killToRedispatch);
            row("`down`/`up` mid-run: `up` until ready", upReady);
            row("`down`/`up` mid-run: ready → first dispatch", upToDispatch);
        } catch (Exception e) {
            e.printStackTrace(System.out);
            status = 1;
        } finally {
            model.close();
        }
        System.exit(status);
    }

    private static void row(String what, Stats stats) {
        System.out.printf("| %s | %.1f s | %.1f s | %d |%n", what, stats.median() / 1000, stats.percentile(100) / 1000, stats.count());
    }

    /** Kills the worker that runs a task; the time until the planner dispatched that task's next attempt. */
    private static double workerKill(LocalFleet fleet) {
        String id = submit(fleet, "kill");
        JsonNode[] running = new JsonNode[1];
        await(() -> (running[0] = runningTask(fleet, id)) != null);
        String worker = running[0].path("workerId").asText();
        String process = worker; // the local fleet names each worker process by its worker id
        int attempt = running[0].path("attempt").asInt();
        String taskId = running[0].path("taskId").asText();
        Instant killed = Instant.now();
        fleet.devstack().kill(process);
        Instant[] redispatched = new Instant[1];
        await(() -> {
            for (JsonNode task : mission(fleet, id).path("tasks")) {
                if (task.path("taskId").asText().equals(taskId)) {
                    for (JsonNode a : task.path("attempts")) {
                        if (a.path("attempt").asInt() > attempt && a.hasNonNull("dispatchedAt")) {
                            redispatched[0] = Instant.parse(a.path("dispatchedAt").asText());
                            return true;
                        }
                    }
                }
            }
            return false;
        });
        fleet.devstack().start(process);
        fleet.awaitStatus(id, WAIT);
        return Duration.between(killed, redispatched[0]).toMillis();
    }

    /** {@code down} with a mission running, then {@code up}: how long up takes, and from ready to the next dispatch. */
    private static double[] downUp(LocalFleet fleet) {
        String id = submit(fleet, "downup");
        await(() -> runningTask(fleet, id) != null);
        var settings = fleet.devstack().settings();
        fleet.devstack().down();
        Instant up = Instant.now();
        fleet.devstack().up(settings);
        Instant ready = Instant.now();
        Instant[] dispatched = new Instant[1];
        await(() -> {
            for (JsonNode task : mission(fleet, id).path("tasks")) {
                for (JsonNode a : task.path("attempts")) {
                    if (a.hasNonNull("dispatchedAt")) {
                        Instant at = Instant.parse(a.path("dispatchedAt").asText());
                        if (at.isAfter(ready) && (dispatched[0] == null || at.isBefore(dispatched[0]))) {
                            dispatched[0] = at;
                        }
                    }
                }
            }
            return dispatched[0] != null;
        });
        fleet.awaitStatus(id, WAIT);
        return new double[] {Duration.between(up, ready).toMillis(), Duration.between(ready, dispatched[0]).toMillis()};
    }

    private static String submit(LocalFleet fleet, String prefix) {
        try {
            LocalRepository repo = LocalRepository.create(Files.createTempDirectory("recovery-repo-"), Map.of("README.md", "# recovery\n"));
            String id = prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
            StringBuilder plan = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                plan.append(i == 0 ? "" : ",").append("{\"id\":\"t").append(i).append("\",\"title\":\"Task ").append(i)
                        .append("\",\"prompt\":\"[[t").append(i).append("]] Record the time.\"}");
            }
            var response = fleet.submit("""
                    {"missionId":"%s","goal":"Record times","repo":{"url":"%s","baseRef":"main"},
                     "limits":{"maxAttempts":3,"taskTimeoutSeconds":300},"plan":[%s]}
                    """.formatted(id, repo.url(), plan));
            if (response.statusCode() != 202) {
                throw new IllegalStateException("submit answered " + response.statusCode() + ": " + response.body());
            }
            return id;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static JsonNode runningTask(LocalFleet fleet, String id) {
        for (JsonNode task : mission(fleet, id).path("tasks")) {
            if (task.path("status").asText().equals("RUNNING") && task.hasNonNull("workerId")) {
                return task;
            }
        }
        return null;
    }

    private static JsonNode mission(LocalFleet fleet, String id) {
        return LocalFleet.json(fleet.get("/api/v1/missions/" + id).body());
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) {
        org.awaitility.Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(condition);
    }
}
