package io.opencodefleet.devstack.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opencodefleet.devstack.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker as a local fleet runs it, a process of its own: what it stored survives {@code kill -9} and a restart
 * on the same directory, and a second broker on a directory in use refuses to start instead of corrupting it.
 */
class KafkaBrokerTest {

    private static final Duration START = Duration.ofSeconds(90);
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void recordsAndCommittedOffsetsSurviveKillAndRestart(@TempDir Path dir) throws Exception {
        int port = Ports.freePort();
        String bootstrap = "127.0.0.1:" + port;
        Process first = startBroker(dir, port, dir.resolve("first.log"));

        produce(bootstrap, "persist", 0, 10);
        try (KafkaConsumer<String, String> consumer = consumer(bootstrap, "kept-group")) {
            consumer.subscribe(List.of("persist"));
            assertThat(poll(consumer, 10)).hasSize(10);
            consumer.commitSync();
        }

        first.toHandle().destroyForcibly(); // SIGKILL: no clean shutdown, no flush beyond what Kafka wrote
        assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();

        Process second = startBroker(dir, port, dir.resolve("second.log"));
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            Map<?, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("kept-group")
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(10);
        }
        try (KafkaConsumer<String, String> fresh = consumer(bootstrap, "new-group")) {
            fresh.subscribe(List.of("persist"));
            assertThat(poll(fresh, 10)).extracting(ConsumerRecord::value)
                    .containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
        }
        produce(bootstrap, "persist", 10, 1);
        try (KafkaConsumer<String, String> resumed = consumer(bootstrap, "kept-group")) {
            resumed.subscribe(List.of("persist"));
            assertThat(poll(resumed, 1)).as("the group goes on from its committed offsets")
                    .extracting(ConsumerRecord::value).containsExactly("v10");
        }

        second.destroy(); // SIGTERM: a clean shutdown
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aSecondBrokerOnTheSameDirectoryRefusesToStart(@TempDir Path dir) throws Exception {
        int port = Ports.freePort();
        startBroker(dir, port, dir.resolve("first.log"));

        Path log = dir.resolve("second.log");
        Process second = launch(dir, Ports.freePort(), log);
        assertThat(second.waitFor(30, TimeUnit.SECONDS)).as("exits at once").isTrue();
        assertThat(second.exitValue()).isNotZero();
        assertThat(Files.readString(log)).contains("another Kafka broker is using").doesNotContain(KafkaBroker.READY);

        // the first one still serves
        produce("127.0.0.1:" + port, "still-there", 0, 1);
    }

    @Test
    void inThisJvmTooTheDirectoryIsLockedAndTheDataKept(@TempDir Path dir) throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir, 0)) {
            produce(broker.bootstrapServers(), "in-jvm", 0, 3);
            assertThatThrownBy(() -> KafkaBroker.start(dir, 0)).hasMessageContaining("is using " + dir);
        }
        try (KafkaBroker again = KafkaBroker.start(dir, 0);
                KafkaConsumer<String, String> consumer = consumer(again.bootstrapServers(), "g")) {
            consumer.subscribe(List.of("in-jvm"));
            assertThat(poll(consumer, 3)).hasSize(3);
        }
    }

    @Test
    void saslModeAdmitsTheAdminAndRefusesAWrongPassword(@TempDir Path dir) throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir, 0, "s3cret")) {
            Map<String, Object> admin = new HashMap<>(broker.clientProperties());
            try (KafkaProducer<String, String> producer = producer(admin)) {
                producer.send(new ProducerRecord<>("secured", "k", "v")).get(30, TimeUnit.SECONDS);
            }
            Map<String, Object> wrong = new HashMap<>(KafkaBroker.clientProperties(broker.bootstrapServers(), KafkaBroker.ADMIN, "nope"));
            wrong.put("max.block.ms", 5000);
            try (KafkaProducer<String, String> producer = producer(wrong)) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("secured", "k", "v")).get(30, TimeUnit.SECONDS))
                        .hasStackTraceContaining("Authentication failed");
            }
        }
    }

    // --- helpers ---

    private Process startBroker(Path dir, int port, Path log) throws Exception {
        Process process = launch(dir, port, log);
        long deadline = System.nanoTime() + START.toNanos();
        while (!(Files.exists(log) && Files.readString(log).contains(KafkaBroker.READY + "127.0.0.1:" + port))) {
            if (!process.isAlive()) {
                throw new AssertionError("broker exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("broker not ready within " + START + ":\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return process;
    }

    private Process launch(Path dir, int port, Path log) throws IOException {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), KafkaBroker.class.getName(),
                dir.resolve("kafka").toString(), String.valueOf(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(process);
        return process;
    }

    private static void produce(String bootstrap, String topic, int from, int count)
            throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        try (KafkaProducer<String, String> producer = producer(Map.of("bootstrap.servers", bootstrap))) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static KafkaProducer<String, String> producer(Map<String, Object> base) {
        Map<String, Object> config = new HashMap<>(base);
        config.put("acks", "all");
        config.putIfAbsent("max.block.ms", 30_000);
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap, String group) {
        return new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "group.id", group, "group.protocol", "consumer",
                "auto.offset.reset", "earliest", "enable.auto.commit", false), new StringDeserializer(), new StringDeserializer());
    }

    /** Polls until {@code count} records came (or 30 s passed), then a little longer to see that no more come. */
    private static List<ConsumerRecord<String, String>> poll(KafkaConsumer<String, String> consumer, int count) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (records.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        return records;
    }
}
