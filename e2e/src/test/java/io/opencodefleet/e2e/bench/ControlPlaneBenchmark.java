package io.opencodefleet.e2e.bench;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskProgress;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.e2e.LocalFleet;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The control plane with instant workers and reviewer: the packaged planner as a process (a local fleet with no
 * reviewer and no workers) on the real broker and PostgreSQL, and this harness answering every assignment at once (heartbeat + APPROVED verdict). Measures
 * dispatch latency (the planner's TASK_DISPATCHED instant → the assignment in a worker's hands), throughput
 * of a wide mission, and how long a 10,000-task plan takes to be validated and stored.
 */
public final class ControlPlaneBenchmark {

    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    private final Map<String, Instant> dispatched = new ConcurrentHashMap<>();
    private final Map<String, Instant> received = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> sealed = new ConcurrentHashMap<>();
    private volatile boolean running = true;

    public static void main(String[] args) throws Exception {
        int wide = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int missions = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int tasksEach = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        new ControlPlaneBenchmark().run(wide, missions, tasksEach);
        System.exit(0); // the in-process broker's threads would keep the JVM alive
    }

    private void run(int wideTasks, int missions, int tasksEach) throws Exception {
        // The planner on the JVM's own defaults (C2, its GC), as deployed; the local fleet's are tuned for start-up.
        try (LocalFleet fleet = new LocalFleet(null, 0, settings -> settings.reviewer(false).jvmOptions(List.of("-Xmx1g"))
                .plannerProperty("quarkus.log.level", "WARN"))) {
            String bootstrap = fleet.bootstrap();
            Thread instant = new Thread(() -> answerInstantly(bootstrap), "instant-workers");
            instant.start();
            Thread.sleep(3000); // consumer groups join

            // Warm-up, then light load: one task at a time, so latency has no queue in it.
            mission(fleet, "warm", 50, 1);
            long planner = fleet.devstack().process("planner").orElseThrow().pid();
            missions(fleet, "mem-a", 10, 5);
            long heapAfter10 = Footprint.liveHeap(planner);
            dispatched.clear();
            received.clear();
            mission(fleet, "serial", 300, 1);
            Stats serial = latencies();
            dispatched.clear();
            received.clear();

            long wideStart = System.nanoTime();
            mission(fleet, "wide", wideTasks, 100);
            double wideSeconds = (System.nanoTime() - wideStart) / 1e9;
            Stats wide = latencies();

            dispatched.clear();
            received.clear();
            long manyStart = System.nanoTime();
            missions(fleet, "many", missions, tasksEach);
            double manySeconds = (System.nanoTime() - manyStart) / 1e9;
            Stats many = latencies();

            Stats store = new Stats();
            for (int i = 0; i < 3; i++) {
                String id = "big-" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
                long started = System.nanoTime();
                HttpResponse<String> response = submit(fleet, id, 10_000, 1, true);
                store.add((System.nanoTime() - started) / 1e6);
                if (response.statusCode() != 202) {
                    throw new IllegalStateException("10k plan refused: " + response.body());
                }
                fleet.post("/api/v1/missions/" + id + "/cancel", "{}");
            }
            // Memory as work grows: the planner's live heap (after a full GC) once 1,000 more small missions finished.
            for (int i = 0; i < 10; i++) {
                missions(fleet, "mem-b" + i + "-", 100, 5);
            }
            long heapAfter1000 = Footprint.liveHeap(planner);
            running = false;
            instant.join(10_000);

            System.out.println("dispatch latency, one task at a time (300 tasks): " + serial);
            System.out.printf("dispatch latency, %d tasks with maxParallel 100: %s%n", wideTasks, wide);
            System.out.printf("throughput, %d-task mission submit -> SEALED: %.1f s, %.0f tasks/s%n", wideTasks, wideSeconds, wideTasks / wideSeconds);
            System.out.printf("dispatch latency, %d missions of %d tasks at once: %s%n", missions, tasksEach, many);
            System.out.printf("throughput, %d missions of %d tasks submit -> all SEALED: %.1f s, %.0f tasks/s%n", missions, tasksEach,
                    manySeconds, missions * tasksEach / manySeconds);
            System.out.println("10,000-task plan (a 10-wide chain) validated + stored + first dispatch, REST round trip: " + store);
            System.out.printf("planner live heap after a full GC: %.1f MiB after 10 missions, %.1f MiB after 1,000 more (and the runs above)%n",
                    Footprint.mib(heapAfter10), Footprint.mib(heapAfter1000));
        }
    }

    /** Submits a mission of independent tasks (or, when chained, a 10-wide chain) and waits until it is sealed. */
    private void mission(LocalFleet fleet, String prefix, int tasks, int maxParallel) throws Exception {
        String id = prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
        CountDownLatch done = new CountDownLatch(1);
        sealed.put(id, done);
        HttpResponse<String> response = submit(fleet, id, tasks, maxParallel, false);
        if (response.statusCode() != 202) {
            throw new IllegalStateException(response.body());
        }
        if (!done.await(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("mission " + id + " did not seal");
        }
    }

    /** Submits {@code count} missions of independent tasks at once and waits until every one is sealed. */
    private void missions(LocalFleet fleet, String prefix, int count, int tasks) throws Exception {
        List<String> ids = IntStream.range(0, count).mapToObj(i -> prefix + i + "-" + UUID.randomUUID().toString().substring(0, 6)).toList();
        ids.forEach(id -> sealed.put(id, new CountDownLatch(1)));
        ids.parallelStream().forEach(id -> {
            HttpResponse<String> response = submit(fleet, id, tasks, tasks, false);
            if (response.statusCode() != 202) {
                throw new IllegalStateException(response.body());
            }
        });
        for (String id : ids) {
            if (!sealed.get(id).await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("mission " + id + " did not seal");
            }
        }
    }

    private static HttpResponse<String> submit(LocalFleet fleet, String id, int tasks, int maxParallel, boolean chained) {
        String plan = IntStream.range(0, tasks).mapToObj(i -> "{\"id\":\"t" + i + "\",\"prompt\":\"task " + i + "\""
                + (chained && i >= 10 ? ",\"dependsOn\":[\"t" + (i - 10) + "\"]" : "") + "}").collect(Collectors.joining(","));
        String body = """
                {"missionId":"%s","goal":"benchmark","repo":{"url":"file:///dev/null"},"limits":{"maxParallel":%d},"plan":[%s]}"""
                .formatted(id, maxParallel, plan);
        return fleet.submit(body);
    }

    private Stats latencies() {
        Stats stats = new Stats();
        received.forEach((key, at) -> {
            Instant sent = dispatched.get(key);
            if (sent != null) {
                stats.add(Duration.between(sent, at).toNanos() / 1e6);
            }
        });
        return stats;
    }

    /** Plays every worker and the reviewer: each assignment is started and approved the moment it arrives. */
    private void answerInstantly(String bootstrap) {
        Map<String, Object> consumerConfig = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "bench-instant-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        try (var consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer());
                var producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer())) {
            consumer.subscribe(List.of(Topics.TASKS, Topics.REVIEWS, Topics.EVENTS));
            while (running) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(50))) {
                    Instant now = Instant.now();
                    switch (record.topic()) {
                        case Topics.TASKS -> {
                            TaskAssignment task = MessageCodec.decode(record.value(), TaskAssignment.class);
                            received.put(task.missionId() + "/" + task.taskId() + "/" + task.attempt(), now);
                            producer.send(new ProducerRecord<>(Topics.PROGRESS, task.taskId(), FleetJson.write(new TaskProgress(
                                    task.missionId(), task.taskId(), task.attempt(), "instant", "agent", 0, now, null, null))));
                            TaskResult result = TaskResult.of(task, TaskStatus.SUCCEEDED, task.branch(), COMMIT, List.of(), "done",
                                    null, Usage.ZERO, 0, "instant", null, null);
                            producer.send(new ProducerRecord<>(Topics.RESULTS, task.missionId(), FleetJson.write(result)));
                        }
                        case Topics.REVIEWS -> {
                            ReviewRequest request = MessageCodec.decode(record.value(), ReviewRequest.class);
                            producer.send(new ProducerRecord<>(Topics.VERDICTS, request.missionId(), FleetJson.write(new ReviewVerdict(
                                    request.missionId(), request.taskId(), request.attempt(), Verdict.APPROVED, null, COMMIT, List.of(),
                                    List.of(), null))));
                        }
                        default -> {
                            MissionEvent event = MessageCodec.decode(record.value(), MissionEvent.class);
                            if (event.event() == MissionEvent.Kind.TASK_DISPATCHED) {
                                dispatched.put(event.missionId() + "/" + event.taskId() + "/" + event.attempt(), event.at());
                            } else if (event.event() == MissionEvent.Kind.SEALED && sealed.containsKey(event.missionId())) {
                                sealed.get(event.missionId()).countDown();
                            }
                        }
                    }
                }
            }
        }
    }
}
