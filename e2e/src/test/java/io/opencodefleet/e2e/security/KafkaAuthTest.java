package io.opencodefleet.e2e.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.devstack.fleet.FleetProcess;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.kafka.KafkaAccess;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import io.opencodefleet.e2e.LocalFleet;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.awaitility.Awaitility;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole fleet on a broker that authenticates every client (SASL/SCRAM) and authorizes with the ACLs of the
 * Strimzi manifests ({@code deploy/k8s/base/kafka/users.yaml}, applied by devstack's {@link KafkaAccess}): each service
 * connects as its own user, handed over in the environment as a Kubernetes Secret would be. Missions submitted over
 * Kafka with the submitter's credentials and over REST seal; a client without credentials, or with wrong ones, gets
 * nothing in or out; and each user may do only what its service needs.
 */
class KafkaAuthTest {

    private static final Duration MISSION_TIME = Duration.ofMinutes(4);
    /** What a service logs when one of its Kafka clients is refused. */
    private static final Pattern REFUSED = Pattern.compile("AuthorizationException|AuthenticationException|TOPIC_AUTHORIZATION_FAILED"
            + "|GROUP_AUTHORIZATION_FAILED|CLUSTER_AUTHORIZATION_FAILED|Not authorized", Pattern.CASE_INSENSITIVE);

    private static ScriptedModel model;
    private static LocalFleet fleet;

    @BeforeAll
    static void startFleet() {
        model = ScriptedModel.start(Script.of(
                Rule.when(Match.titleRequest()).reply(Turn.text("Fleet task")),
                Rule.when(Match.promptContains("[[k]]")).reply(Turn.write("k.txt", "k\n"), Turn.text("Wrote k.txt")),
                Rule.when(Match.promptContains("[[r]]")).reply(Turn.write("r.txt", "r\n"), Turn.text("Wrote r.txt"))));
        // A broker of the fleet's own in SASL mode (the JVM's shared test broker lets anyone do anything).
        fleet = new LocalFleet(model, 1, settings -> settings.externalKafka(null).kafkaAuth(true));
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
    void missionsOverKafkaWithTheSubmittersCredentialsAndOverRestSeal() throws Exception {
        LocalRepository repo = LocalRepository.create(Files.createTempDirectory("kafka-auth-repo-"),
                Map.of("check.sh", "#!/bin/sh\necho ok\n", "README.md", "# Sample\n"));
        String overKafka = "kafka-auth-k-" + UUID.randomUUID().toString().substring(0, 6);
        try (KafkaProducer<String, String> producer = producer(fleet.devstack().kafkaClientProperties(KafkaAccess.SUBMITTER))) {
            producer.send(new ProducerRecord<>(Topics.MISSIONS, overKafka, mission(overKafka, repo.url(), "k"))).get(30, TimeUnit.SECONDS);
        }
        String overRest = "kafka-auth-r-" + UUID.randomUUID().toString().substring(0, 6);
        assertThat(fleet.submit(mission(overRest, repo.url(), "r")).statusCode()).isEqualTo(202);

        for (String id : List.of(overKafka, overRest)) {
            JsonNode view = fleet.awaitStatus(id, MISSION_TIME);
            assertThat(view.path("status").asText()).as(id + fleet.logs()).isEqualTo("SEALED");
        }
        assertThat(repo.read("fleet/" + overKafka, "k.txt")).isEqualTo("k");
        assertThat(repo.read("fleet/" + overRest, "r.txt")).isEqualTo("r");

        // What the planner's admin client reads (queue depth, the fate of a dispatched message), as the planner's user:
        // the same committed offsets of the workers' and reviewers' groups as the super user sees (consumers commit
        // every few seconds, hence the wait), and the end offsets and partitions of their topics.
        try (Admin planner = Admin.create(fleet.devstack().kafkaClientProperties(KafkaAccess.PLANNER));
                Admin superUser = Admin.create(fleet.devstack().kafkaAdminProperties())) {
            assertThat(planner.listTopics().names().get(30, TimeUnit.SECONDS)).contains(Topics.TASKS, Topics.REVIEWS, Topics.MISSIONS);
            for (String[] queue : List.of(new String[] {Topics.TASKS, Topics.WORKERS_GROUP}, new String[] {Topics.REVIEWS, Topics.REVIEWERS_GROUP})) {
                Map<TopicPartition, OffsetAndMetadata> committed = Awaitility.await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(500)).until(() -> committed(planner, queue[1]), offsets -> !offsets.isEmpty());
                Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(committed(planner, queue[1])).as("offsets of " + queue[1] + " as the planner sees them")
                                .isEqualTo(committed(superUser, queue[1])));
                TopicPartition partition = committed.keySet().iterator().next();
                assertThat(planner.listOffsets(Map.of(partition, OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS)).containsKey(partition);
                assertThat(planner.describeTopics(List.of(queue[0])).allTopicNames().get(30, TimeUnit.SECONDS)).containsKey(queue[0]);
            }
        }
        // No Kafka client of any service was refused anything along the way.
        for (String name : fleet.devstack().names()) {
            if (FleetProcess.isService(name)) {
                assertThat(Files.readString(fleet.devstack().log(name))).as(name + "'s log").doesNotContainPattern(REFUSED);
            }
        }
    }

    @Test
    void aClientWithoutCredentialsGetsNothingInOrOut() throws Exception {
        String key = "no-credentials-" + UUID.randomUUID().toString().substring(0, 6);
        // A wrong password: refused at once.
        Map<String, Object> wrong = new HashMap<>(fleet.devstack().kafkaClientProperties(KafkaAccess.SUBMITTER));
        wrong.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + KafkaAccess.SUBMITTER + "\" password=\"not-the-password\";");
        try (KafkaProducer<String, String> producer = producer(wrong)) {
            assertThat(failure(() -> producer.send(new ProducerRecord<>(Topics.MISSIONS, key, "{}")).get(30, TimeUnit.SECONDS)))
                    .isInstanceOf(SaslAuthenticationException.class);
        }
        try (KafkaConsumer<String, String> consumer = consumer(wrong)) {
            consumer.assign(List.of(new TopicPartition(Topics.TASKS, 0)));
            assertThat(failure(() -> consumer.poll(Duration.ofSeconds(10)))).isInstanceOf(SaslAuthenticationException.class);
        }

        // No SASL at all: the broker hangs up before any request is served, so the client only ever times out.
        Map<String, Object> plaintext = Map.of("bootstrap.servers", fleet.bootstrap());
        try (KafkaProducer<String, String> producer = producer(plaintext)) {
            assertThat(failure(() -> producer.send(new ProducerRecord<>(Topics.MISSIONS, key, "{}")).get(30, TimeUnit.SECONDS)))
                    .isInstanceOf(TimeoutException.class);
        }
        try (KafkaConsumer<String, String> consumer = consumer(plaintext)) {
            consumer.assign(List.of(new TopicPartition(Topics.TASKS, 0)));
            consumer.seekToBeginning(consumer.assignment());
            assertThat(consumer.poll(Duration.ofSeconds(3))).isEmpty();
        }

        // Nothing of either landed on fleet.missions.
        try (KafkaConsumer<String, String> admin = consumer(fleet.devstack().kafkaAdminProperties())) {
            List<TopicPartition> partitions = admin.partitionsFor(Topics.MISSIONS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            admin.assign(partitions);
            admin.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = admin.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> admin.position(p) < ends.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : admin.poll(Duration.ofMillis(200))) {
                    assertThat(record.key()).isNotEqualTo(key);
                }
            }
        }
    }

    @Test
    void eachUserMayDoOnlyWhatItsServiceNeeds() throws Exception {
        // The worker's user writes results and heartbeats, never review requests or missions.
        try (KafkaProducer<String, String> worker = producer(fleet.devstack().kafkaClientProperties(KafkaAccess.WORKER))) {
            worker.send(new ProducerRecord<>(Topics.PROGRESS, "least-privilege", "{}")).get(30, TimeUnit.SECONDS);
            for (String topic : List.of(Topics.REVIEWS, Topics.MISSIONS)) {
                assertThat(failure(() -> worker.send(new ProducerRecord<>(topic, "forged", "{}")).get(30, TimeUnit.SECONDS)))
                        .as("the worker producing to " + topic).isInstanceOf(TopicAuthorizationException.class);
            }
        }
        // The submitter reads nothing: not the assignments, not the events (it follows a mission over REST).
        for (String topic : List.of(Topics.TASKS, Topics.EVENTS)) {
            try (KafkaConsumer<String, String> submitter = consumer(fleet.devstack().kafkaClientProperties(KafkaAccess.SUBMITTER))) {
                submitter.assign(List.of(new TopicPartition(topic, 0)));
                assertThat(failure(() -> submitter.poll(Duration.ofSeconds(10)))).as("the submitter reading " + topic)
                        .isInstanceOf(TopicAuthorizationException.class);
            }
        }
        // The reviewer's user cannot take the workers' assignments, in their group or without one.
        Map<String, Object> asReviewer = new HashMap<>(fleet.devstack().kafkaClientProperties(KafkaAccess.REVIEWER));
        try (KafkaConsumer<String, String> reviewer = consumer(asReviewer)) {
            reviewer.assign(List.of(new TopicPartition(Topics.TASKS, 0)));
            assertThat(failure(() -> reviewer.poll(Duration.ofSeconds(10)))).isInstanceOf(TopicAuthorizationException.class);
        }
        asReviewer.put("group.id", Topics.WORKERS_GROUP);
        asReviewer.put("group.protocol", "consumer");
        try (KafkaConsumer<String, String> reviewer = consumer(asReviewer)) {
            reviewer.subscribe(List.of(Topics.TASKS));
            assertThat(failure(() -> reviewer.poll(Duration.ofSeconds(10)))).isInstanceOf(AuthorizationException.class);
        }
    }

    private static Map<TopicPartition, OffsetAndMetadata> committed(Admin admin, String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    }

    private static String mission(String id, String repoUrl, String task) {
        return """
                {"missionId":"%s","title":"Kafka auth %s","goal":"Write %s.txt",
                 "repo":{"url":"%s","baseRef":"main"},
                 "verify":{"commands":["sh check.sh"],"timeoutSeconds":60},
                 "limits":{"maxAttempts":2,"taskTimeoutSeconds":300},
                 "plan":[{"id":"%s","title":"Task %s","prompt":"[[%s]] Create %s.txt","files":["%s.txt"]}]}
                """.formatted(id, id, task, repoUrl, task, task, task, task, task);
    }

    private static KafkaProducer<String, String> producer(Map<String, Object> client) {
        Map<String, Object> config = new HashMap<>(client);
        config.put("acks", "all");
        config.put("max.block.ms", 5000);
        config.put("request.timeout.ms", 5000);
        config.put("delivery.timeout.ms", 10000);
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(Map<String, Object> client) {
        Map<String, Object> config = new HashMap<>(client);
        config.putIfAbsent("auto.offset.reset", "earliest");
        config.put("enable.auto.commit", false);
        config.put("default.api.timeout.ms", 10000);
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    /** The failure of {@code action} (the cause of an {@link ExecutionException}); fails the test if it succeeds. */
    private static Throwable failure(ThrowingAction action) {
        try {
            action.run();
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
        throw new AssertionError("expected the broker to refuse this");
    }

    @FunctionalInterface
    private interface ThrowingAction {
        void run() throws Exception;
    }
}
