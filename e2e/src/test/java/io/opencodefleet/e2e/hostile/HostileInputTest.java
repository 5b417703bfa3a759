package io.opencodefleet.e2e.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.Limits;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.RepoRef;
import io.opencodefleet.common.messages.ReviewPolicy;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskProgress;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.common.messages.VerifySpec;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import io.opencodefleet.e2e.LocalFleet;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile input by the thousand on a whole fleet: 10,000 generated malformed or hostile records on every topic a
 * service consumes, and 1,000 hostile REST requests. No consumer stops, every record lands in its topic's
 * dead-letter topic with the reason in {@code dead-letter-reason}, every REST answer is a 4xx whose body names the
 * problem, nothing outside the fleet's directories is touched, and a valid mission sent afterwards seals.
 */
class HostileInputTest {

    private static final int PER_TOPIC = 10_000;
    private static final int REST_REQUESTS = 1_000;
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final RepoRef REPO = new RepoRef("https://git.example.com/o/r.git", "main");

    private static ScriptedModel model;
    private static LocalFleet fleet;

    @BeforeAll
    static void startFleet() {
        model = ScriptedModel.start(Script.of(Rule.when(Match.titleRequest()).reply(Turn.text("Fleet task")),
                Rule.when(Match.promptContains("[[ok]]")).reply(Turn.write("ok.txt", "ok\n"), Turn.text("Wrote ok.txt"))));
        fleet = new LocalFleet(model, 1);
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

    /** For each consumed topic: the generator of its hostile records. */
    private static Map<String, HostileRecords> generators() {
        Map<String, HostileRecords> generators = new LinkedHashMap<>();
        List<String> ids = List.of("missionId", "taskId");
        generators.put(Topics.MISSIONS, new HostileRecords(1, MissionSubmitted.class, new MissionSubmitted("m-1", "t", "goal", REPO,
                List.of(new PlannedTask("a", "A", "do a", List.of(), List.of())), VerifySpec.none(), null, Map.of(), Limits.defaults(),
                ReviewPolicy.defaults(), Map.of()), List.of("goal", "repo", "plan"), List.of("missionId"), List.of(), List.of()));
        TaskAssignment assignment = new TaskAssignment("m-1", "a", 1, TaskKind.CODE, "A", "do a", "ctx", null, REPO,
                "fleet-tasks/m-1/a/a1", "fleet/m-1", null, 60, List.of());
        generators.put(Topics.TASKS, new HostileRecords(2, TaskAssignment.class, assignment,
                List.of("missionId", "taskId", "attempt", "kind", "prompt", "repo", "branch", "integrationBranch"), ids,
                List.of("branch", "integrationBranch"), List.of("kind")));
        generators.put(Topics.RESULTS, new HostileRecords(3, TaskResult.class, TaskResult.of(assignment, TaskStatus.SUCCEEDED,
                "fleet-tasks/m-1/a/a1", COMMIT, List.of("a.txt"), "did a", null, new Usage(1, 1, 0), 10, "w-1", "ses", null),
                List.of("missionId", "taskId", "attempt", "status"), ids, List.of("branch"), List.of("status", "kind")));
        generators.put(Topics.REVIEWS, new HostileRecords(4, ReviewRequest.class, new ReviewRequest("m-1", "a", 1, ReviewRequest.Kind.MERGE,
                REPO, "fleet/m-1", "fleet-tasks/m-1/a/a1", COMMIT, VerifySpec.none(), ReviewPolicy.defaults(), null, "A", "do a", List.of(), null),
                List.of("missionId", "taskId", "attempt", "kind", "repo", "integrationBranch"), ids, List.of("branch", "integrationBranch"),
                List.of("kind")));
        generators.put(Topics.VERDICTS, new HostileRecords(5, ReviewVerdict.class, new ReviewVerdict("m-1", "a", 1, Verdict.APPROVED, null,
                COMMIT, List.of(), List.of(), null), List.of("missionId", "taskId", "attempt", "verdict"), ids, List.of(), List.of("verdict")));
        generators.put(Topics.PROGRESS, new HostileRecords(6, TaskProgress.class, new TaskProgress("m-1", "a", 1, "w-1", "agent", 1,
                Instant.now(), null, null), List.of("missionId", "taskId", "attempt"), ids, List.of(), List.of()));
        return generators;
    }

    @Test
    void tenThousandHostileRecordsOnEveryConsumedTopicAllEndInTheirDeadLetterTopicsAndTheFleetGoesOn() throws Exception {
        Map<String, HostileRecords> generators = generators();
        assertThat(generators.keySet()).containsExactlyInAnyOrderElementsOf(Topics.CONSUMED);
        String bootstrap = KafkaBroker.shared().bootstrapServers();
        Map<TopicPartition, Long> dlqStart = endOffsets(bootstrap);

        Random random = new Random(7);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2_000_000), new StringSerializer(),
                new ByteArraySerializer())) {
            for (var topic : generators.entrySet()) {
                for (byte[] record : topic.getValue().generate(PER_TOPIC)) {
                    String key = random.nextInt(10) == 0 ? null : HostileRecords.HOSTILE_IDS.get(random.nextInt(HostileRecords.HOSTILE_IDS.size()));
                    producer.send(new ProducerRecord<>(topic.getKey(), key, record));
                }
            }
            producer.flush();
        }

        Map<String, Integer> deadLettered = countDeadLetters(bootstrap, dlqStart, Duration.ofMinutes(8));
        for (String topic : Topics.CONSUMED) {
            assertThat(deadLettered.get(Topics.dlq(topic))).as("records in %s.dlq (each with a reason)\n%s", topic, fleet.logs())
                    .isEqualTo(PER_TOPIC);
        }
        assertThat(Files.exists(java.nio.file.Path.of("/tmp/pwned"))).isFalse();
        assertThat(Files.exists(java.nio.file.Path.of("/tmp/x"))).isFalse();

        // Every consumer is still there: a valid mission seals.
        LocalRepository repo = LocalRepository.create(Files.createTempDirectory("hostile-after-"), Map.of("README.md", "# after\n"));
        String id = "after-hostile-" + UUID.randomUUID().toString().substring(0, 6);
        assertThat(fleet.submit("""
                {"missionId":"%s","goal":"ok","repo":{"url":"%s"},"plan":[{"id":"ok","prompt":"[[ok]] write ok.txt"}]}"""
                .formatted(id, repo.url())).statusCode()).isEqualTo(202);
        assertThat(fleet.awaitStatus(id, Duration.ofMinutes(4)).path("status").asText()).as(fleet.logs()).isEqualTo("SEALED");
    }

    @Test
    void aThousandHostileRequestsAreEachA4xxThatNamesTheProblem() throws Exception {
        String token = fleet.devstack().credentials().token();
        URI base = fleet.devstack().plannerUrl();
        HttpClient http = HttpClient.newHttpClient();
        List<byte[]> bodies = generators().get(Topics.MISSIONS).generate(REST_REQUESTS - 300);
        List<HttpRequest> requests = new ArrayList<>();
        for (byte[] body : bodies) {
            requests.add(HttpRequest.newBuilder(base.resolve("/api/v1/missions")).header("authorization", "Bearer " + token)
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        }
        Random random = new Random(11);
        for (int i = 0; i < 100; i++) {
            String id = HostileRecords.HOSTILE_IDS.get(random.nextInt(HostileRecords.HOSTILE_IDS.size()));
            String path = "/api/v1/missions/" + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
            requests.add(switch (i % 5) {
                case 0 -> HttpRequest.newBuilder(base.resolve(path)).header("authorization", "Bearer " + token).GET().build();
                case 1 -> HttpRequest.newBuilder(base.resolve(path + "/cancel")).header("authorization", "Bearer " + token)
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build();
                case 2 -> HttpRequest.newBuilder(base.resolve("/api/v1/missions")).header("authorization", "Bearer " + token)
                        .header("content-type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{}")).build();
                case 3 -> HttpRequest.newBuilder(base.resolve("/api/v1/missions")).header("authorization", "Bearer " + token)
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("x".repeat(5_000_000))).build();
                default -> HttpRequest.newBuilder(base.resolve("/api/v1/missions/m-1/resume")).header("authorization", "Bearer " + token)
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"guidance\":[1,2]}")).build();
            });
        }
        // A reconnecting event stream's Last-Event-ID, hostile: junk, out-of-range numbers, a header of 8 KB.
        for (String lastEventId : hostileEventIds(new Random(12), 100)) {
            requests.add(HttpRequest.newBuilder(base.resolve("/api/v1/missions/no-such-mission/events")).header("authorization", "Bearer " + token)
                    .header("accept", "text/event-stream").header("Last-Event-ID", lastEventId).GET().build());
        }
        // The list's query parameters, hostile: no number, out of range, no status, junk.
        Random queries = new Random(13);
        for (String junk : hostileEventIds(new Random(14), 100)) {
            // A limit the API would take (a page size from 1 to 1,000) is made one it must refuse.
            String value = junk.strip().matches("0*[1-9]\\d{0,2}|0*1000") ? "-" + junk : junk;
            String param = queries.nextBoolean() ? "limit" : "status";
            String query = param + "=" + java.net.URLEncoder.encode(value, StandardCharsets.UTF_8)
                    + (queries.nextInt(4) == 0 ? "&" + (param.equals("limit") ? "status=RUNNING" : "limit=5") : "");
            requests.add(HttpRequest.newBuilder(base.resolve("/api/v1/missions?" + query)).header("authorization", "Bearer " + token).GET().build());
        }
        assertThat(requests).hasSize(REST_REQUESTS);
        for (HttpRequest request : requests) {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as("%s %s: %s", request.method(), request.uri(), response.body()).isBetween(400, 499);
            if (response.statusCode() == 431 || response.statusCode() == 414) {
                // The HTTP layer refuses an oversized header or request line before the API sees it, without a body.
                assertThat(Math.max(request.headers().firstValue("Last-Event-ID").orElse("").length(), request.uri().toString().length()))
                        .as("only an oversized header or URI is refused so").isGreaterThan(4_096);
                continue;
            }
            JsonNode error = LocalFleet.json(response.body()).path("error");
            assertThat(error.asText()).as("%s %s answered %d with %s", request.method(), request.uri(), response.statusCode(), response.body())
                    .isNotBlank();
        }
        assertThat(LocalFleet.json(fleet.get("/api/v1/missions?limit=5").body()).isArray()).as("the planner still answers").isTrue();
    }

    /** Header values (printable ASCII, as HTTP allows) that are no event id, or one of a mission that does not exist. */
    private static List<String> hostileEventIds(Random random, int count) {
        List<String> fixed = List.of("-1", "0", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e3", "0x10",
                "1.5", " 7 ", "+3", "12abc", "NaN", "' OR 1=1 --", "$(id)", "../1", "9".repeat(8_192));
        List<String> values = new ArrayList<>(fixed);
        while (values.size() < count) {
            StringBuilder value = new StringBuilder();
            for (int i = 1 + random.nextInt(random.nextBoolean() ? 20 : 400); i > 0; i--) {
                value.append((char) (random.nextBoolean() ? '0' + random.nextInt(10) : 0x21 + random.nextInt(0x7e - 0x21)));
            }
            values.add(value.toString());
        }
        return values;
    }

    private static Map<TopicPartition, Long> endOffsets(String bootstrap) throws Exception {
        // The dead-letter topics may not exist yet: make them now, so every one of their partitions is read from here.
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            for (String topic : Topics.CONSUMED) {
                try {
                    admin.createTopics(List.of(new NewTopic(Topics.dlq(topic), 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
        try (var consumer = consumer(bootstrap)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : Topics.CONSUMED) {
                String dlq = Topics.dlq(topic);
                consumer.partitionsFor(dlq, Duration.ofSeconds(30)).forEach(p -> partitions.add(new TopicPartition(dlq, p.partition())));
            }
            return new HashMap<>(consumer.endOffsets(partitions));
        }
    }

    /** Reads every dead-letter topic from {@code start} until each holds {@link #PER_TOPIC} new records; each must carry a reason. */
    private static Map<String, Integer> countDeadLetters(String bootstrap, Map<TopicPartition, Long> start, Duration timeout) {
        Map<String, Integer> counts = new HashMap<>();
        try (var consumer = consumer(bootstrap)) {
            consumer.assign(start.keySet());
            start.forEach(consumer::seek);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && counts.values().stream().mapToInt(Integer::intValue).sum() < PER_TOPIC * Topics.CONSUMED.size()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    var reason = record.headers().lastHeader("dead-letter-reason");
                    assertThat(reason).as("record in %s without a reason", record.topic()).isNotNull();
                    assertThat(new String(reason.value(), StandardCharsets.UTF_8)).isNotBlank();
                    counts.merge(record.topic(), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        return new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "hostile-" + UUID.randomUUID(), ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
