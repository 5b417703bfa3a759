package io.opencodefleet.e2e.bench;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskProgress;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.e2e.ServiceProcess;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.postgres.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
 * The control plane with instant workers and reviewer: the packaged planner as a process on the real broker
 * and PostgreSQL, and this harness answering every assignment at once (heartbeat + APPROVED verdict). Measures
 * dispatch latency (the planner's TASK_DISPATCHED instant → the assignment in a worker's hands), throughput
 * of a wide mission, and how long a 10,000-task plan takes to be validated and stored.
 */
public final class ControlPlaneBenchmark {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Map<String, Instant> dispatched = new ConcurrentHashMap<>();
    private final Map<String, Instant> received = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> sealed = new ConcurrentHashMap<>();
    private volatile boolean running = true;

    public static void main(String[] args) throws Exception {
        int wide = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        new ControlPlaneBenchmark().run(wide);
        System.exit(0); // the in-process broker's threads would keep the JVM alive
    }

    private void run(int wideTasks) throws Exception {
        String bootstrap = KafkaBroker.shared().bootstrapServers();
        try (TestDatabase database = TestDatabase.create();
                ServiceProcess planner = ServiceProcess.start("bench-planner", "planner-service", KafkaBroker.freePort(), Map.of(
                        "kafka.bootstrap.servers", bootstrap,
                        "quarkus.datasource.jdbc.url", database.jdbcUrl(),
                        "quarkus.datasource.username", database.username(),
                        "quarkus.datasource.password", database.password(),
                        "quarkus.log.level", "WARN"), Map.of())) {
            Thread instant = new Thread(() -> answerInstantly(bootstrap), "instant-workers");
            instant.start();
            Thread.sleep(3000); // consumer groups join

            // Warm-up, then light load: one task at a time, so latency has no queue in it.
            mission(planner, "warm", 50, 1);
            dispatched.clear();
            received.clear();
            mission(planner, "serial", 300, 1);
            Stats serial = latencies();
            dispatched.clear();
            received.clear();

            long wideStart = System.nanoTime();
            mission(planner, "wide", wideTasks, 100);
            double wideSeconds = (System.nanoTime() - wideStart) / 1e9;
            Stats wide = latencies();

            Stats store = new Stats();
            for (int i = 0; i < 3; i++) {
                String id = "big-" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
                long started = System.nanoTime();
                HttpResponse<String> response = submit(planner, id, 10_000, 1, true);
                store.add((System.nanoTime() - started) / 1e6);
                if (response.statusCode() != 202) {
                    throw new IllegalStateException("10k plan refused: " + response.body());
                }
                HTTP.send(HttpRequest.newBuilder(URI.create(planner.url() + "/api/v1/missions/" + id + "/cancel"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            }
            running = false;
            instant.join(10_000);

            System.out.println("dispatch latency, one task at a time (300 tasks): " + serial);
            System.out.printf("dispatch latency, %d tasks with maxParallel 100: %s%n", wideTasks, wide);
            System.out.printf("throughput, %d-task mission submit -> SEALED: %.1f s, %.0f tasks/s%n", wideTasks, wideSeconds, wideTasks / wideSeconds);
            System.out.println("10,000-task plan (a 10-wide chain) validated + stored + first dispatch, REST round trip: " + store);
        }
    }

    /** Submits a mission of independent tasks (or, when chained, a 10-wide chain) and waits until it is sealed. */
    private void mission(ServiceProcess planner, String prefix, int tasks, int maxParallel) throws Exception {
        String id = prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
        CountDownLatch done = new CountDownLatch(1);
        sealed.put(id, done);
        HttpResponse<String> response = submit(planner, id, tasks, maxParallel, false);
        if (response.statusCode() != 202) {
            throw new IllegalStateException(response.body());
        }
        if (!done.await(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("mission " + id + " did not seal");
        }
    }

    private static HttpResponse<String> submit(ServiceProcess planner, String id, int tasks, int maxParallel, boolean chained) throws Exception {
        String plan = IntStream.range(0, tasks).mapToObj(i -> "{\"id\":\"t" + i + "\",\"prompt\":\"task " + i + "\""
                + (chained && i >= 10 ? ",\"dependsOn\":[\"t" + (i - 10) + "\"]" : "") + "}").collect(Collectors.joining(","));
        String body = """
                {"missionId":"%s","goal":"benchmark","repo":{"url":"file:///dev/null"},"limits":{"maxParallel":%d},"plan":[%s]}"""
                .formatted(id, maxParallel, plan);
        return HTTP.send(HttpRequest.newBuilder(URI.create(planner.url() + "/api/v1/missions"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
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
            consumer.subscribe(List.of(Topics.TASKS, Topics.RESULTS, Topics.EVENTS));
            while (running) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(50))) {
                    Instant now = Instant.now();
                    switch (record.topic()) {
                        case Topics.TASKS -> {
                            TaskAssignment task = MessageCodec.decode(record.value(), TaskAssignment.class);
                            received.put(task.missionId() + "/" + task.taskId() + "/" + task.attempt(), now);
                            producer.send(new ProducerRecord<>(Topics.PROGRESS, task.taskId(), FleetJson.write(new TaskProgress(
                                    task.missionId(), task.taskId(), task.attempt(), "instant", "agent", 0, now, null, null))));
                            TaskResult result = TaskResult.of(task, TaskStatus.SUCCEEDED, task.branch(), "c0ffee", List.of(), "done",
                                    null, Usage.ZERO, 0, "instant", null, null);
                            producer.send(new ProducerRecord<>(Topics.VERDICTS, task.missionId(), FleetJson.write(new ReviewVerdict(
                                    task.missionId(), task.taskId(), task.attempt(), Verdict.APPROVED, null, "m", List.of(), result, List.of(), null))));
                        }
                        case Topics.RESULTS -> {
                            TaskResult result = MessageCodec.decode(record.value(), TaskResult.class);
                            if (result.kind() == TaskKind.SEAL) {
                                producer.send(new ProducerRecord<>(Topics.VERDICTS, result.missionId(), FleetJson.write(new ReviewVerdict(
                                        result.missionId(), result.taskId(), result.attempt(), Verdict.APPROVED, null, "m", List.of(), null, List.of(), null))));
                            }
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
