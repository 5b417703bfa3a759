package io.opencodefleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.e2e.multihost.MultiHostFleet;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Scale measured, not assumed: the fleet on a test network of its own ({@link MultiHostFleet}: broker, PostgreSQL,
 * the scripted model, the git server, planner and reviewer on h0; one worker per worker host on h1..h4), the
 * scripted model taking a fixed time per call, so what the fleet adds is visible against it.
 *
 * <ol>
 *   <li><b>Scaling</b>: the same batch ({@code missions} missions of {@code tasks} independent tasks each) with 1, 2
 *       and 4 worker hosts, side by side in one run ({@code rounds} times: 1, 2, 4, then back to 1), after a warm-up
 *       batch each time. Throughput = tasks / (submit → last task DONE); the efficiency of a step from {@code a} to
 *       {@code b} hosts is {@code throughput_b / (b/a × throughput_a)}.</li>
 *   <li><b>Workers come and go, as KEDA makes them</b>: the batch starts on one worker host, two more join mid-run,
 *       then two are sent SIGTERM (they drain for {@code fleet.worker.drain-timeout} and hand back what still runs).
 *       From the planner's REST views: every task has exactly one attempt that ran to completion (DONE); from
 *       {@code fleet.results}, how many runs finished SUCCEEDED (a fenced, stale run would show here); from git, one
 *       merge per task.</li>
 * </ol>
 *
 * Run it with {@code bin/bench} (or {@code java ... ScaleBenchmark [delayMs] [missions] [tasks] [slots] [rounds]}); it
 * needs root for the network namespaces.
 */
public final class ScaleBenchmark {

    private static final List<Integer> STEPS = List.of(1, 2, 4);

    private final long delayMs;
    private final int missions;
    private final int tasks;
    private final int slots;
    private final int rounds;
    private MultiHostFleet fleet;
    private LocalRepository repo;
    private String repoUrl;

    private ScaleBenchmark(long delayMs, int missions, int tasks, int slots, int rounds) {
        this.delayMs = delayMs;
        this.missions = missions;
        this.tasks = tasks;
        this.slots = slots;
        this.rounds = rounds;
    }

    public static void main(String[] args) throws Exception {
        long delay = args.length > 0 ? Long.parseLong(args[0]) : 2000;
        int missions = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int tasks = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int slots = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        if (MultiHostFleet.unavailable().isPresent()) {
            System.out.println("skipped: " + MultiHostFleet.unavailable().get());
            System.exit(0);
        }
        int status = 0;
        try {
            new ScaleBenchmark(delay, missions, tasks, slots, rounds).run();
        } catch (Exception e) {
            e.printStackTrace(System.out);
            status = 1;
        }
        System.exit(status);
    }

    /** What one batch measured. */
    private record Batch(int hosts, int tasks, double toDoneSeconds, double toSealedSeconds, Map<String, Integer> perWorker,
            double medianTaskMs, String load) {
        double tasksPerMinute() {
            return tasks * 60 / toDoneSeconds;
        }
    }

    private void run() throws Exception {
        System.out.printf("model: %d ms per call; batch: %d missions x %d independent tasks; %d slots per worker; %d rounds%n",
                delayMs, missions, tasks, slots, rounds);
        fleet = new MultiHostFleet(4, 1, script(delayMs), settings -> settings
                .slotsPerWorker(slots)
                .plannerProperty("fleet.lease", "30s")
                .workerProperty("fleet.worker.heartbeat-interval", "3s")
                .workerProperty("fleet.worker.drain-timeout", "3s")
                .plannerProperty("quarkus.log.level", "WARN")
                .reviewerProperty("quarkus.log.level", "WARN"), null);
        try {
            String name = "bench-" + UUID.randomUUID().toString().substring(0, 6);
            repo = fleet.devstack().createRepository(name, Map.of("check.sh", "#!/bin/sh\necho ok\n", "README.md", "# bench\n"));
            repoUrl = fleet.devstack().repositoryUrl(name);
            Map<Integer, List<Batch>> byHosts = new TreeMap<>();
            for (int round = 1; round <= rounds; round++) {
                for (int hosts : STEPS) {
                    scaleTo(hosts);
                    batch("warm", hosts, Math.max(2, hosts * slots), 1); // every slot's OpenCode has seen the repository
                    Batch measured = batch("r" + round + "h" + hosts, hosts, tasks, missions);
                    byHosts.computeIfAbsent(hosts, h -> new ArrayList<>()).add(measured);
                    System.out.printf("round %d, %d worker host(s): %d tasks DONE in %.1f s (%.1f tasks/min), SEALED in %.1f s; "
                                    + "median task %.0f ms; tasks per worker %s; load %s%n", round, hosts, measured.tasks(),
                            measured.toDoneSeconds(), measured.tasksPerMinute(), measured.toSealedSeconds(), measured.medianTaskMs(),
                            measured.perWorker(), measured.load());
                }
            }
            report(byHosts);
            keda();
        } finally {
            fleet.close();
        }
    }

    /** Runs exactly {@code hosts} workers: worker-n on host hn (started again, or stopped with SIGTERM). */
    private void scaleTo(int hosts) {
        for (int n = 1; n <= 4; n++) {
            String worker = "worker-" + n;
            boolean running = fleet.devstack().names().contains(worker) && fleet.devstack().isRunning(worker);
            if (n <= hosts && !running) {
                startWorker(n);
            } else if (n > hosts && running) {
                fleet.devstack().terminate(worker, Duration.ofSeconds(60));
            }
        }
        sleep(5_000); // the group's assignment settles (KIP-848: partitions move to the new members)
    }

    /** Starts worker-n on host hn: again, or for the first time. */
    private void startWorker(int n) {
        String worker = "worker-" + n;
        if (fleet.devstack().names().contains(worker)) {
            fleet.devstack().start(worker);
            return;
        }
        String added = fleet.devstack().addWorker(fleet.workerHost(n));
        if (!added.equals(worker)) {
            throw new IllegalStateException("expected " + worker + ", got " + added);
        }
    }

    /** Submits {@code count} missions of {@code size} tasks, waits until every task is DONE and every mission SEALED. */
    private Batch batch(String label, int hosts, int size, int count) {
        List<String> ids = new ArrayList<>();
        for (int m = 0; m < count; m++) {
            ids.add(label + "-m" + m + "-" + UUID.randomUUID().toString().substring(0, 6));
        }
        long started = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> submitted = new ArrayList<>();
        for (String id : ids) {
            String body = mission(id, size);
            submitted.add(CompletableFuture.supplyAsync(() -> fleet.submit(body)));
        }
        for (CompletableFuture<HttpResponse<String>> response : submitted) {
            HttpResponse<String> r = response.join();
            if (r.statusCode() != 202) {
                throw new IllegalStateException("submit refused: " + r.statusCode() + " " + r.body());
            }
        }
        double done = -1;
        double sealed;
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        while (true) {
            int doneTasks = 0;
            int sealedMissions = 0;
            for (JsonNode mission : MultiHostFleet.json(fleet.get("/api/v1/missions?limit=1000").body())) {
                if (ids.contains(mission.path("id").asText())) {
                    doneTasks += mission.path("tasksByState").path("DONE").asInt();
                    String status = mission.path("status").asText();
                    if (status.equals("SEALED")) {
                        sealedMissions++;
                    } else if (status.equals("FAILED") || status.equals("CANCELLED")) {
                        throw new IllegalStateException("mission " + mission.path("id").asText() + " " + status + ": "
                                + mission.path("statusReason").asText() + "\n" + fleet.logs());
                    }
                }
            }
            double elapsed = (System.nanoTime() - started) / 1e9;
            if (done < 0 && doneTasks == size * count) {
                done = elapsed;
            }
            if (sealedMissions == count) {
                sealed = elapsed;
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(label + ": not done after 30 minutes\n" + fleet.logs());
            }
            sleep(250);
        }
        Map<String, Integer> perWorker = new TreeMap<>();
        Stats durations = new Stats();
        for (String id : ids) {
            for (JsonNode task : fleet.mission(id).path("tasks")) {
                for (JsonNode attempt : task.path("attempts")) {
                    if (attempt.path("status").asText().equals("DONE")) {
                        perWorker.merge(attempt.path("workerId").asText(), 1, Integer::sum);
                        durations.add(attempt.path("durationMs").asDouble());
                    }
                }
            }
        }
        return new Batch(hosts, size * count, done, sealed, perWorker, durations.median(), load());
    }

    private void report(Map<Integer, List<Batch>> byHosts) {
        System.out.println();
        System.out.println("| worker hosts | slots | tasks/min (median of " + rounds + ") | all runs | efficiency vs 1 host | step efficiency |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        Map<Integer, Double> median = new LinkedHashMap<>();
        for (int hosts : STEPS) {
            Stats stats = new Stats();
            byHosts.get(hosts).forEach(b -> stats.add(b.tasksPerMinute()));
            median.put(hosts, stats.median());
        }
        Integer previous = null;
        for (int hosts : STEPS) {
            double thr = median.get(hosts);
            String runs = byHosts.get(hosts).stream().map(b -> String.format(Locale.ROOT, "%.1f", b.tasksPerMinute()))
                    .collect(Collectors.joining(", "));
            String vsOne = String.format(Locale.ROOT, "%.0f %%", 100 * thr / (hosts * median.get(1)));
            String step = previous == null ? "—" : String.format(Locale.ROOT, "%d→%d: %.0f %%", previous, hosts,
                    100 * thr / ((double) hosts / previous * median.get(previous)));
            System.out.printf(Locale.ROOT, "| %d | %d | **%.1f** | %s | %s | %s |%n", hosts, hosts * slots, thr, runs, vsOne, step);
            previous = hosts;
        }
        System.out.println();
    }

    /** One worker host, two more join mid-run, then two get SIGTERM: every task still runs to completion once. */
    private void keda() throws Exception {
        scaleTo(1);
        batch("warm", 1, Math.max(2, slots), 1);
        List<String> ids = new ArrayList<>();
        for (int m = 0; m < missions; m++) {
            ids.add("keda-m" + m + "-" + UUID.randomUUID().toString().substring(0, 6));
        }
        long started = System.nanoTime();
        for (String id : ids) {
            HttpResponse<String> response = fleet.submit(mission(id, tasks));
            if (response.statusCode() != 202) {
                throw new IllegalStateException(response.body());
            }
        }
        int total = missions * tasks;
        awaitDone(ids, total / 6);
        List<String> log = new ArrayList<>();
        log.add(String.format("%.0f s: %d/%d tasks done on 1 worker host; adding 2", since(started), doneCount(ids), total));
        startWorker(2);
        startWorker(3);
        log.add(String.format("%.0f s: worker-2 (h2) and worker-3 (h3) ready; %d/%d done", since(started), doneCount(ids), total));
        int joined = doneCount(ids);
        awaitDone(ids, joined + (total - joined) / 3); // the three hosts work side by side for a while
        log.add(String.format("%.0f s: %d/%d done; SIGTERM to worker-1 (h1) and worker-2 (h2)", since(started), doneCount(ids), total));
        CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> fleet.devstack().terminate("worker-1", Duration.ofSeconds(60)));
        boolean second = fleet.devstack().terminate("worker-2", Duration.ofSeconds(60));
        log.add(String.format("%.0f s: both drained and exited: %s; %d/%d done, worker-3 goes on alone", since(started),
                first.join() && second, doneCount(ids), total));
        for (String id : ids) {
            JsonNode view = fleet.awaitDone(id, Duration.ofMinutes(30));
            if (!view.path("status").asText().equals("SEALED")) {
                throw new IllegalStateException(id + " " + view.path("status").asText() + ": " + view.path("statusReason").asText());
            }
        }
        log.add(String.format("%.0f s: all %d missions SEALED", since(started), missions));

        // From the planner's views: attempts by status, per task.
        Map<String, Integer> attemptsByStatus = new TreeMap<>();
        Map<String, Integer> doneAttemptsPerTask = new TreeMap<>();
        int charged = 0;
        for (String id : ids) {
            for (JsonNode task : fleet.mission(id).path("tasks")) {
                String key = id + "/" + task.path("taskId").asText();
                doneAttemptsPerTask.put(key, 0);
                charged += task.path("chargedAttempts").asInt();
                for (JsonNode attempt : task.path("attempts")) {
                    String status = attempt.path("status").asText();
                    attemptsByStatus.merge(status + (attempt.hasNonNull("errorKind") ? "(" + attempt.path("errorKind").asText() + ")" : ""),
                            1, Integer::sum);
                    if (status.equals("DONE") || status.equals("SUCCEEDED")) {
                        doneAttemptsPerTask.merge(key, 1, Integer::sum);
                    }
                }
            }
        }
        // From fleet.results: every run a worker finished SUCCEEDED, current or stale.
        Map<String, Integer> succeededRuns = new TreeMap<>();
        for (String record : fleet.records(List.of(Topics.RESULTS))) {
            JsonNode result = MultiHostFleet.json(record.substring(record.indexOf('{')));
            String missionId = result.path("missionId").asText();
            if (ids.contains(missionId) && result.path("status").asText().equals("SUCCEEDED")) {
                succeededRuns.merge(missionId + "/" + result.path("taskId").asText() + "#" + result.path("attempt").asInt(), 1, Integer::sum);
            }
        }
        Map<String, Integer> succeededAttemptsPerTask = new TreeMap<>();
        succeededRuns.keySet().forEach(k -> succeededAttemptsPerTask.merge(k.substring(0, k.indexOf('#')), 1, Integer::sum));
        // From git: merges per task on each integration branch.
        Map<String, Integer> merges = new TreeMap<>();
        for (String id : ids) {
            for (String line : repo.log("fleet/" + id, "%(trailers:key=Fleet-Mission,valueonly,separator=)/%(trailers:key=Fleet-Task,valueonly,separator=)", "--merges")) {
                merges.merge(line.strip(), 1, Integer::sum);
            }
        }

        System.out.println("KEDA-like run: " + missions + " missions x " + tasks + " tasks, " + total + " tasks");
        log.forEach(line -> System.out.println("  " + line));
        System.out.println("  attempts by status (planner's views): " + attemptsByStatus);
        System.out.println("  tasks whose DONE attempts != 1: " + count(doneAttemptsPerTask, total) + " (of " + doneAttemptsPerTask.size() + ")");
        System.out.println("  attempts charged to the agent: " + charged);
        System.out.println("  tasks with more than one attempt finished SUCCEEDED by a worker (fleet.results): "
                + succeededAttemptsPerTask.values().stream().filter(n -> n > 1).count());
        System.out.println("  SUCCEEDED result records per task (same attempt answered again counts twice): max "
                + succeededRuns.values().stream().mapToInt(Integer::intValue).max().orElse(0) + ", total "
                + succeededRuns.values().stream().mapToInt(Integer::intValue).sum());
        System.out.println("  tasks merged != 1 time (git): " + count(merges, total) + " (of " + merges.size() + " merged)");
        boolean ok = doneAttemptsPerTask.size() == total && doneAttemptsPerTask.values().stream().allMatch(n -> n == 1)
                && merges.size() == total && merges.values().stream().allMatch(n -> n == 1);
        System.out.println("  no task ran twice to completion: " + (ok ? "yes" : "NO"));
        if (!ok) {
            throw new IllegalStateException("a task ran to completion twice or not at all");
        }
    }

    private static long count(Map<String, Integer> perTask, int expected) {
        return perTask.values().stream().filter(n -> n != 1).count() + Math.max(0, expected - perTask.size());
    }

    private void awaitDone(List<String> ids, int atLeast) {
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        while (doneCount(ids) < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not " + atLeast + " tasks done after 30 minutes");
            }
            sleep(250);
        }
    }

    private int doneCount(List<String> ids) {
        int done = 0;
        for (JsonNode mission : MultiHostFleet.json(fleet.get("/api/v1/missions?limit=1000").body())) {
            if (ids.contains(mission.path("id").asText())) {
                done += mission.path("tasksByState").path("DONE").asInt();
            }
        }
        return done;
    }

    /**
     * Independent tasks, ids unique across missions ({@code fleet.tasks} is keyed by task id: the same ids in every
     * mission would put every mission's "t1" on one partition, and so on one worker).
     */
    private String mission(String id, int size) {
        String tag = id.substring(id.lastIndexOf('-') + 1);
        String plan = IntStream.range(0, size).mapToObj(i -> "{\"id\":\"" + tag + "-t" + i + "\",\"title\":\"Task " + i
                + "\",\"prompt\":\"Write a file of your own.\"}").collect(Collectors.joining(","));
        return """
                {"missionId":"%s","goal":"benchmark","repo":{"url":"%s","baseRef":"main"},
                 "verify":{"commands":["sh check.sh"],"timeoutSeconds":60},"limits":{"maxAttempts":3,"taskTimeoutSeconds":600},"plan":[%s]}
                """.formatted(id, repoUrl, plan);
    }

    /** Every agent step: write a file no other task writes, then answer; every call (titles too) takes {@code delayMs}. */
    private static String script(long delayMs) {
        return """
                {"delayMs": %d, "rules": [
                  {"name": "title", "when": {"titleRequest": true}, "reply": "Benchmark task"},
                  {"name": "work", "when": {"hasTools": true},
                   "reply": [{"bash": "echo done > \\"task-$(date +%%s%%N)-$$.txt\\""}, "Wrote my file."]}
                ]}
                """.formatted(delayMs);
    }

    private static String load() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split("\\s+");
            return fields[0] + " " + fields[1];
        } catch (Exception e) {
            return "?";
        }
    }

    private static double since(long started) {
        return (System.nanoTime() - started) / 1e9;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
