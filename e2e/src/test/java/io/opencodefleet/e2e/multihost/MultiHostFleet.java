package io.opencodefleet.e2e.multihost;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.opencode.OpencodeBinary;
import io.opencodefleet.devstack.fleet.FleetHosts;
import io.opencodefleet.devstack.fleet.FleetSettings;
import io.opencodefleet.devstack.fleet.LocalFleet;
import io.opencodefleet.devstack.fleet.ModelChoice;
import io.opencodefleet.devstack.fleet.StateDir;
import io.opencodefleet.devstack.net.Host;
import io.opencodefleet.devstack.net.TestNetwork;
import io.opencodefleet.e2e.DiamondMissions;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;

/**
 * A whole fleet on a test network of its own ({@link TestNetwork}: network namespaces joined by a switch): host h0
 * runs the broker, an embedded PostgreSQL, the scripted model (from a script in its JSON form), the git server
 * (smart HTTP, Basic auth), the planner and the reviewer; hosts h1.. run the workers, which reach all of it over
 * the network only, with the git credentials from a credential helper. This JVM talks to the planner over the test
 * network. {@link #close()} stops the fleet, keeps the logs in {@code e2e/target/e2e-logs/multihost-<id>/} and
 * removes the network.
 */
public final class MultiHostFleet implements AutoCloseable {

    private final TestNetwork network;
    private final Path dir;
    private final LocalFleet fleet;
    private boolean closed;

    /** Why no test network can be made here (then tests skip), or empty. */
    public static Optional<String> unavailable() {
        return TestNetwork.unavailable();
    }

    /**
     * {@code workerHosts} worker hosts and {@code workers} workers spread over them in turn, the model playing
     * {@code scriptJson}; {@code customize} adjusts the settings last (lease, slots, ...). {@code out} gets the
     * fleet's start-up progress (null: none).
     */
    public MultiHostFleet(int workerHosts, int workers, String scriptJson, Consumer<FleetSettings.Builder> customize, PrintWriter out) {
        network = TestNetwork.create(workerHosts + 1);
        try {
            dir = Files.createTempDirectory("fleet-multihost-");
            Path script = Files.writeString(dir.resolve("scripted-model.json"), scriptJson);
            FleetSettings.Builder settings = FleetSettings.builder()
                    .workers(workers)
                    .slotsPerWorker(2)
                    .model(ModelChoice.scripted(script))
                    .opencode(OpencodeBinary::locateOrInstall)
                    .database("fleet_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10))
                    .embeddedPostgres(0)
                    .freePorts()
                    .hosts(FleetHosts.on(network))
                    .gitServer(true)
                    .jvmOptions(List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                    .startTimeout(Duration.ofSeconds(150))
                    .stopTimeout(Duration.ofSeconds(20));
            customize.accept(settings);
            fleet = new LocalFleet(StateDir.of(dir), out != null ? out : new PrintWriter(OutputStream.nullOutputStream()));
            fleet.up(settings.build());
        } catch (IOException e) {
            network.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    /** Progress on standard output. */
    public static PrintWriter stdout() {
        return new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    }

    public LocalFleet devstack() {
        return fleet;
    }

    public TestNetwork network() {
        return network;
    }

    /** The infrastructure host (h0). */
    public Host infrastructure() {
        return network.host(0);
    }

    /** Worker host {@code n} (1-based: h1, h2, ...). */
    public Host workerHost(int n) {
        return network.host(n);
    }

    /** The host a worker (by its {@code workerId}, which is its process name) runs on. */
    public Host hostOf(String workerId) {
        return fleet.hostOf(workerId).orElseThrow(() -> new IllegalArgumentException(workerId + " runs on no host"));
    }

    public String bootstrap() {
        return fleet.bootstrapServers();
    }

    public HttpResponse<String> submit(String missionJson) {
        return fleet.submit(missionJson);
    }

    public HttpResponse<String> get(String path) {
        return fleet.get(path);
    }

    /** The mission's REST view (tasks and attempts). */
    public JsonNode mission(String id) {
        HttpResponse<String> response = get("/api/v1/missions/" + id);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET mission " + id + ": " + response.statusCode() + " " + response.body());
        }
        return json(response.body());
    }

    /** Waits until the mission is SEALED, FAILED or CANCELLED and returns its REST view. */
    public JsonNode awaitDone(String missionId, Duration timeout) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
            last[0] = mission(missionId);
            return List.of("SEALED", "FAILED", "CANCELLED").contains(last[0].path("status").asText());
        });
        return last[0];
    }

    public static JsonNode json(String body) {
        try {
            return FleetJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The end of every process's log. */
    public String logs() {
        return fleet.logs();
    }

    /** Records in every dead-letter topic, by topic (end offsets: what was ever written there). */
    public Map<String, Long> deadLetters() {
        return DiamondMissions.deadLetters(bootstrap());
    }

    /** Every record's value on these topics so far (for checks on what travelled in messages). */
    public List<String> records(List<String> topics) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "multihost-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.topic() + " " + record.key() + " " + record.value());
                }
            }
        }
        return values;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (fleet != null) {
                fleet.down();
            }
        } finally {
            keepLogs();
            network.close();
            deleteDir();
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("multi-host fleet did not stop cleanly: " + e.getMessage());
            network.close();
        }
    }

    private void keepLogs() {
        if (dir == null) {
            return;
        }
        Path logs = dir.resolve("logs");
        if (!Files.isDirectory(logs)) {
            return;
        }
        Path target = StateDir.projectRoot().resolve("e2e/target/e2e-logs").resolve("multihost-" + network.id());
        try (Stream<Path> files = Files.list(logs)) {
            Files.createDirectories(target);
            for (Path log : files.toList()) {
                Files.copy(log, target.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            // OpenCode's own logs (the workers' and the reviewer's servers), for a failure inside OpenCode.
            Path opencode = dir.resolve("opencode");
            if (Files.isDirectory(opencode)) {
                try (Stream<Path> all = Files.walk(opencode)) {
                    for (Path log : all.filter(p -> p.toString().endsWith(".log") && Files.isRegularFile(p)).toList()) {
                        String flat = opencode.relativize(log).toString().replace('/', '_');
                        Files.copy(log, target.resolve("opencode_" + flat), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("could not keep the logs of " + dir + ": " + e.getMessage());
        }
    }

    private void deleteDir() {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
