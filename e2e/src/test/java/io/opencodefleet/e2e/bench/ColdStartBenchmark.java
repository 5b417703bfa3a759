package io.opencodefleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.RecordedRequest;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import io.opencodefleet.e2e.LocalFleet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cold start, side by side in one run:
 *
 * <ul>
 *   <li><b>a fresh worker process</b> joining a running fleet with a task waiting: from the process's start to its
 *       first model call, split into the JVM and Quarkus, the slots' OpenCode servers (started in parallel as Quarkus
 *       starts, not holding it up), and Quarkus started → first model call (joining the consumer group, the
 *       assignment, the first clone of the repository into a slot, the slot's server, the session);</li>
 *   <li><b>{@code up}</b> of a whole local fleet (its own broker, one worker) until every service is ready, with each
 *       service's own boot time from its log.</li>
 * </ul>
 *
 * Run with {@code bin/bench} or {@code java ... ColdStartBenchmark [rounds] [slots]}; {@code COLD_START_LOG=1} prints the new
 * worker's log after each round.
 */
public final class ColdStartBenchmark {

    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final Pattern LOG_TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) ");
    private static final Pattern OPENCODE_HEALTHY = Pattern.compile("opencode serve \\(pid \\d+\\) healthy at \\S+ after (\\d+) ms");
    private static final Pattern QUARKUS_STARTED = Pattern.compile("started in (\\d+\\.\\d+)s");

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int slots = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        ScriptedModel model = ScriptedModel.start(Script.of(
                Rule.when(Match.titleRequest()).reply(Turn.text("Fleet task")),
                Rule.when(Match.promptContains("[[")).reply(Turn.write("out.txt", "cold\n"), Turn.text("done"))));
        int status = 0;
        try {
            workerColdStart(model, rounds, slots);
            fleetUp(model, rounds);
        } catch (Exception e) {
            e.printStackTrace(System.out);
            status = 1;
        } finally {
            model.close();
        }
        System.exit(status);
    }

    /** A worker started while a task waits for it: process start → first model call, by phase. */
    private static void workerColdStart(ScriptedModel model, int rounds, int slots) {
        Map<String, Stats> phases = new LinkedHashMap<>();
        try (LocalFleet fleet = new LocalFleet(model, 0, settings -> settings.slotsPerWorker(slots))) {
            for (int round = 1; round <= rounds; round++) {
                String id = submit(fleet, "cold");
                await(() -> task(fleet, id).path("status").asText().equals("QUEUED"));
                Instant started = Instant.now();
                String worker = fleet.devstack().addWorker();
                await(() -> firstCall(model, id) != null);
                Instant firstCall = firstCall(model, id);
                List<String> log = lines(fleet.devstack().log(worker));
                Instant quarkusStarted = timeOf(log, QUARKUS_STARTED);
                long opencodeMs = log.stream().map(OPENCODE_HEALTHY::matcher).filter(Matcher::find)
                        .mapToLong(m -> Long.parseLong(m.group(1))).max().orElse(0);
                add(phases, "JVM and Quarkus started", Duration.between(started, quarkusStarted).toMillis());
                add(phases, slots + " OpenCode servers, in parallel from Quarkus's start on (overlapping the next row)", opencodeMs);
                add(phases, "Quarkus started → first model call (group join, first clone, waiting for the slot's server, session)",
                        Duration.between(quarkusStarted, firstCall).toMillis());
                add(phases, "**process start → first model call**", Duration.between(started, firstCall).toMillis());
                fleet.awaitStatus(id, WAIT);
                if (System.getenv("COLD_START_LOG") != null) {
                    System.out.println(fleet.devstack().tail(worker, 60));
                }
                fleet.devstack().terminate(worker);
            }
        }
        System.out.printf("| fresh worker (%d slots), n=%d | median | max |%n| --- | --- | --- |%n", slots, rounds);
        phases.forEach((name, stats) -> System.out.printf("| %s | %.2f s | %.2f s |%n", name, stats.median() / 1000, stats.percentile(100) / 1000));
    }

    /** {@code up} of a whole local fleet until ready, and each service's own boot time. */
    private static void fleetUp(ScriptedModel model, int rounds) {
        Map<String, Stats> phases = new LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            long started = System.nanoTime();
            try (LocalFleet fleet = new LocalFleet(model, 1, settings -> settings.externalKafka(null))) {
                add(phases, "**`up` until every service is ready**", (System.nanoTime() - started) / 1e6);
                for (String service : List.of("broker", "planner", "reviewer", "worker-1")) {
                    List<String> log = lines(fleet.devstack().log(service));
                    log.stream().map(QUARKUS_STARTED::matcher).filter(Matcher::find).findFirst()
                            .ifPresent(m -> add(phases, service + ": Quarkus's own start", Double.parseDouble(m.group(1)) * 1000));
                    if (service.equals("worker-1")) {
                        log.stream().map(OPENCODE_HEALTHY::matcher).filter(Matcher::find)
                                .mapToLong(m -> Long.parseLong(m.group(1))).max()
                                .ifPresent(ms -> add(phases, "worker-1: of which OpenCode servers", ms));
                    }
                }
            }
        }
        System.out.printf("| local fleet `up` (own broker, 1 worker), n=%d | median | max |%n| --- | --- | --- |%n", rounds);
        phases.forEach((name, stats) -> System.out.printf("| %s | %.2f s | %.2f s |%n", name, stats.median() / 1000, stats.percentile(100) / 1000));
    }

    private static void add(Map<String, Stats> phases, String name, double millis) {
        phases.computeIfAbsent(name, key -> new Stats()).add(millis);
    }

    /** When the model first heard from the agent of mission {@code id}, or null. */
    private static Instant firstCall(ScriptedModel model, String id) {
        return model.agentRequests().stream().filter(r -> r.prompt().contains("[[" + id + "]]"))
                .map(RecordedRequest::receivedAt).min(Instant::compareTo).orElse(null);
    }

    /** The time of the first log line matching {@code pattern} (service logs print local wall-clock times). */
    private static Instant timeOf(List<String> log, Pattern pattern) {
        for (String line : log) {
            Matcher time = LOG_TIME.matcher(line);
            if (pattern.matcher(line).find() && time.find()) {
                return LocalDate.now().atTime(LocalTime.parse(time.group(1))).atZone(ZoneId.systemDefault()).toInstant();
            }
        }
        throw new IllegalStateException("no log line matches " + pattern);
    }

    private static List<String> lines(Path log) {
        try {
            return Files.readAllLines(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String submit(LocalFleet fleet, String prefix) {
        try {
            LocalRepository repo = LocalRepository.create(Files.createTempDirectory("cold-repo-"), Map.of("README.md", "# cold start\n"));
            String id = prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
            var response = fleet.submit("""
                    {"missionId":"%s","goal":"Write out.txt","repo":{"url":"%s","baseRef":"main"},
                     "limits":{"maxAttempts":3,"taskTimeoutSeconds":300},
                     "plan":[{"id":"t","title":"Write","prompt":"[[%s]] Write out.txt."}]}
                    """.formatted(id, repo.url(), id));
            if (response.statusCode() != 202) {
                throw new IllegalStateException("submit answered " + response.statusCode() + ": " + response.body());
            }
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode task(LocalFleet fleet, String id) {
        return LocalFleet.json(fleet.get("/api/v1/missions/" + id).body()).path("tasks").path(0);
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) {
        org.awaitility.Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(condition);
    }

    private ColdStartBenchmark() {
    }
}
