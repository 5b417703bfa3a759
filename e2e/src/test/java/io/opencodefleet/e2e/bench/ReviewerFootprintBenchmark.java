package io.opencodefleet.e2e.bench;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.Ids;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskProgress;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.process.ProcessRunner;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.e2e.LocalFleet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The reviewer as work grows: the packaged planner and reviewer as processes on the real broker and PostgreSQL, and
 * this harness playing instant workers that push a real commit per task to a local bare repository. Every mission has
 * two tasks (b after a), each merged and checked by the reviewer, then sealed; one in ten is cancelled once its first
 * task is merged, so no seal ever deletes its scratch clone. Measures the reviewer's live heap and its work dir
 * (scratch clones, mirror) after 10 missions and after {@code missions} more, and how long the idle-clone sweep takes to
 * reclaim the cancelled missions' clones.
 */
public final class ReviewerFootprintBenchmark {

    private static final Duration IDLE_CLONE_LIFETIME = Duration.ofMinutes(2);

    private final Map<String, CountDownLatch> ended = new ConcurrentHashMap<>();
    private final Map<String, MissionEvent.Kind> outcomes = new ConcurrentHashMap<>();
    private final AtomicInteger commits = new AtomicInteger();
    private volatile boolean running = true;
    private LocalRepository repo;
    private String mainCommit;
    private String mainTree;

    public static void main(String[] args) throws Exception {
        int missions = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int wave = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        new ReviewerFootprintBenchmark().run(missions, wave);
        System.exit(0); // the in-process broker's threads would keep the JVM alive
    }

    private void run(int missions, int wave) throws Exception {
        repo = LocalRepository.create(Files.createTempDirectory("reviewer-bench-"),
                Map.of("README.md", "# bench\n", "check.sh", "#!/bin/sh\ntest -f README.md\n"));
        mainCommit = LocalRepository.git(repo.bareDir(), "rev-parse", "main").strip();
        mainTree = LocalRepository.git(repo.bareDir(), "ls-tree", "main").strip();
        // The services on the JVM's own defaults (its GC), as deployed; the local fleet's are tuned for start-up.
        try (LocalFleet fleet = new LocalFleet(null, 0, settings -> settings.jvmOptions(List.of("-Xmx1g"))
                .plannerProperty("quarkus.log.level", "WARN")
                .reviewerProperty("quarkus.log.level", "WARN")
                .reviewerProperty("fleet.reviewer.idle-clone-lifetime", IDLE_CLONE_LIFETIME.toSeconds() + "s")
                .reviewerProperty("fleet.reviewer.clone-sweep-interval", "15s"))) {
            Thread workers = new Thread(() -> answerInstantly(fleet), "instant-workers");
            workers.start();
            Thread.sleep(3000); // consumer groups join
            long reviewer = fleet.devstack().process("reviewer").orElseThrow().pid();
            Path workDir = fleet.devstack().state().resolve("reviewer");

            wave(fleet, "warm", 10);
            long heapAfter10 = Footprint.liveHeap(reviewer);
            long diskAfter10 = Footprint.bytesUnder(workDir);

            Stats waves = new Stats();
            List<Double> perWave = new ArrayList<>();
            long started = System.nanoTime();
            for (int done = 0; done < missions; done += wave) {
                long waveStarted = System.nanoTime();
                wave(fleet, "m" + done + "-", Math.min(wave, missions - done));
                perWave.add((System.nanoTime() - waveStarted) / 1e6 / Math.min(wave, missions - done));
                waves.add(perWave.get(perWave.size() - 1));
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long heapAfterAll = Footprint.liveHeap(reviewer);
            List<Path> clonesLeft = clones(workDir);
            long clonesBytes = clonesLeft.stream().mapToLong(Footprint::bytesUnder).sum();
            long mirrorBytes = Footprint.bytesUnder(workDir.resolve(".mirrors"));

            long sweepStarted = System.nanoTime();
            while (!clones(workDir).isEmpty() && System.nanoTime() - sweepStarted < IDLE_CLONE_LIFETIME.plusMinutes(2).toNanos()) {
                Thread.sleep(1000);
            }
            double sweepSeconds = (System.nanoTime() - sweepStarted) / 1e9;
            int clonesAfterSweep = clones(workDir).size();
            long diskAfterSweep = Footprint.bytesUnder(workDir);
            running = false;
            workers.join(10_000);

            long sealed = outcomes.values().stream().filter(kind -> kind == MissionEvent.Kind.SEALED).count();
            long cancelled = outcomes.values().stream().filter(kind -> kind == MissionEvent.Kind.CANCELLED).count();
            System.out.printf("missions: %d sealed, %d cancelled after their first merge, %d other (of %d); %d task commits merged or pending%n",
                    sealed, cancelled, outcomes.size() - sealed - cancelled, outcomes.size(), commits.get());
            System.out.printf("reviewer time per mission (2 merges + seal, waves of %d): %s; %d missions in %.0f s%n", wave, waves, missions, seconds);
            System.out.printf("  by wave, first to last (ms per mission): %s%n",
                    perWave.stream().map(ms -> String.format("%.0f", ms)).collect(java.util.stream.Collectors.joining(" ")));
            System.out.printf("reviewer live heap after a full GC: %.1f MiB after 10 missions, %.1f MiB after %d more%n",
                    Footprint.mib(heapAfter10), Footprint.mib(heapAfterAll), missions);
            System.out.printf("reviewer work dir: %.1f MiB after 10 missions; after %d more: %d scratch clones (%.1f MiB) left, mirror %.1f MiB; "
                    + "bare repository %.1f MiB%n", Footprint.mib(diskAfter10), missions, clonesLeft.size(), Footprint.mib(clonesBytes),
                    Footprint.mib(mirrorBytes), Footprint.mib(Footprint.bytesUnder(repo.bareDir())));
            System.out.printf("idle-clone sweep (lifetime %d s): %d clones left %.0f s later, work dir %.1f MiB%n",
                    IDLE_CLONE_LIFETIME.toSeconds(), clonesAfterSweep, sweepSeconds, Footprint.mib(diskAfterSweep));
        }
    }

    /** Submits {@code count} missions at once, one in ten to be cancelled, and waits until every one has ended. */
    private void wave(LocalFleet fleet, String prefix, int count) throws InterruptedException {
        List<String> ids = IntStream.range(0, count)
                .mapToObj(i -> (i % 10 == 9 ? "cancel-" : "") + prefix + i + "-" + UUID.randomUUID().toString().substring(0, 6)).toList();
        ids.forEach(id -> ended.put(id, new CountDownLatch(1)));
        ids.parallelStream().forEach(id -> {
            var response = fleet.submit("""
                    {"missionId":"%s","goal":"benchmark","repo":{"url":"%s","baseRef":"main"},
                     "verify":{"commands":["sh check.sh"],"timeoutSeconds":60},"limits":{"maxAttempts":2},
                     "plan":[{"id":"a","prompt":"write a"},{"id":"b","prompt":"write b","dependsOn":["a"]}]}
                    """.formatted(id, repo.url()));
            if (response.statusCode() != 202) {
                throw new IllegalStateException(response.body());
            }
        });
        for (String id : ids) {
            if (!ended.get(id).await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("mission " + id + " did not end:\n" + fleet.logs());
            }
        }
    }

    private static List<Path> clones(Path workDir) throws IOException {
        if (!Files.isDirectory(workDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(workDir)) {
            return dirs.filter(dir -> dir.getFileName().toString().matches(Ids.MISSION_ID) && Files.isDirectory(dir)).toList();
        }
    }

    /**
     * Plays every worker: each assignment gets a commit of its own file on its task branch, pushed at once (written
     * into the bare repository with git's plumbing); a to-be-cancelled mission is cancelled when its second task comes.
     */
    private void answerInstantly(LocalFleet fleet) {
        Map<String, Object> consumerConfig = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, fleet.bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "bench-workers-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        try (var consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer());
                var producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fleet.bootstrap(),
                        ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer())) {
            consumer.subscribe(List.of(Topics.TASKS, Topics.EVENTS));
            while (running) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(50))) {
                    if (record.topic().equals(Topics.TASKS)) {
                        TaskAssignment task = MessageCodec.decode(record.value(), TaskAssignment.class);
                        if (task.missionId().startsWith("cancel-") && task.taskId().equals("b")) {
                            fleet.post("/api/v1/missions/" + task.missionId() + "/cancel", "{}");
                            continue;
                        }
                        String commit = commit(task);
                        producer.send(new ProducerRecord<>(Topics.PROGRESS, task.taskId(), FleetJson.write(new TaskProgress(
                                task.missionId(), task.taskId(), task.attempt(), "bench", "agent", 0, Instant.now(), null, null))));
                        producer.send(new ProducerRecord<>(Topics.RESULTS, task.missionId(), FleetJson.write(TaskResult.of(task,
                                TaskStatus.SUCCEEDED, task.branch(), commit, List.of(), "done", null, Usage.ZERO, 0, "bench", null, null))));
                    } else {
                        MissionEvent event = MessageCodec.decode(record.value(), MissionEvent.class);
                        CountDownLatch latch = ended.get(event.missionId());
                        if (event.event().isFinal() && latch != null) {
                            outcomes.put(event.missionId(), event.event());
                            latch.countDown();
                        }
                    }
                }
            }
        }
    }

    /** A commit on main adding {@code <mission>-<task>.txt}, as the task's branch in the bare repository. */
    private String commit(TaskAssignment task) {
        String file = task.missionId() + "-" + task.taskId() + ".txt";
        String blob = git(task.taskId() + "\n", "hash-object", "-w", "--stdin");
        String tree = git(mainTree + "\n100644 blob " + blob + "\t" + file + "\n", "mktree");
        String commit = git(null, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit-tree", tree, "-p", mainCommit,
                "-m", "Task " + task.taskId() + " of " + task.missionId());
        git(null, "update-ref", "refs/heads/" + task.branch(), commit);
        commits.incrementAndGet();
        return commit;
    }

    private String git(String input, String... args) {
        List<String> command = new ArrayList<>(List.of("git", "-C", repo.bareDir().toString()));
        command.addAll(List.of(args));
        ProcessRunner.Result result = ProcessRunner.command(command).input(input).timeout(Duration.ofMinutes(1)).run();
        if (!result.succeeded()) {
            throw new IllegalStateException(String.join(" ", command) + ": " + result.output());
        }
        return result.output().strip();
    }
}
