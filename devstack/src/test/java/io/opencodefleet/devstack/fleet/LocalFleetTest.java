package io.opencodefleet.devstack.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opencodefleet.devstack.Ports;
import io.opencodefleet.devstack.kafka.KafkaAccess;
import io.opencodefleet.devstack.model.ScriptedModelConfig;
import io.opencodefleet.devstack.postgres.LocalPostgres;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local fleet's processes and data, with stand-ins for the three services (their jars are built elsewhere):
 * the real broker process, an embedded PostgreSQL of its own and the scripted model, then killing, stopping and
 * starting processes by name, a crash of everything, and {@code up} again on the same state directory.
 */
class LocalFleetTest {

    private static final PrintWriter OUT = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);

    @Test
    void eachStateDirectoryHasADatabaseOfItsOwn(@TempDir Path dir) {
        String one = LocalPostgres.databaseFor(dir.resolve("a"));
        assertThat(one).matches("fleet_[0-9a-f]{10}").isEqualTo(LocalPostgres.databaseFor(dir.resolve("x/../a")));
        assertThat(LocalPostgres.databaseFor(dir.resolve("b"))).isNotEqualTo(one);
    }

    @Test
    void startsControlsByNameAndKeepsItsDataAcrossACrashAndUp(@TempDir Path dir) throws Exception {
        Path project = fakeProject(dir.resolve("project"));
        Path script = Files.writeString(dir.resolve("script.json"), "{\"rules\": []}");
        StateDir state = StateDir.of(dir.resolve("state"));
        FleetSettings settings = FleetSettings.builder().freePorts().embeddedPostgres(0).workers(2).slotsPerWorker(1)
                .model(ModelChoice.scripted(script))
                .opencode(Path.of("/bin/true"))
                .projectRoot(project)
                .plannerProperty("fleet.lease", "20s")
                .workerProperty("fleet.worker.drain-timeout", "1s")
                .env("EXTRA", "yes")
                .startTimeout(Duration.ofSeconds(90))
                .stopTimeout(Duration.ofSeconds(15))
                .build();

        LocalFleet fleet = LocalFleet.start(state, settings, OUT);
        assertThat(fleet.names()).containsExactly("broker", "postgres", "model", "planner", "reviewer", "worker-1", "worker-2");
        assertThat(fleet.database()).isEqualTo(LocalPostgres.databaseFor(state.root()));
        assertThat(Files.readString(fleet.log("planner")))
                .contains("property fleet.repo.allowed-schemes=file,https,ssh,http")
                .contains("property fleet.lease=20s")
                .contains("property quarkus.datasource.jdbc.url=" + fleet.jdbcUrl())
                .contains("property kafka.bootstrap.servers=" + fleet.bootstrapServers())
                .contains("env EXTRA=yes");
        assertThat(Files.readString(fleet.log("worker-2")))
                .contains("property fleet.worker.id=worker-2", "property fleet.worker.drain-timeout=1s", "property fleet.opencode.bin=/bin/true",
                        "env FLEET_MODEL=" + ScriptedModelConfig.MODEL, "env OPENCODE_CONFIG=");
        assertThatThrownBy(() -> new LocalFleet(state, OUT).up(settings)).isInstanceOf(LocalFleetException.class)
                .hasMessageContaining("already running");

        // The broker keeps its records across a clean stop and start.
        produce(fleet.bootstrapServers(), "kept");
        assertThat(fleet.stopBroker()).as("a clean shutdown").isTrue();
        assertThat(fleet.isRunning("broker")).isFalse();
        fleet.startBroker();
        assertThat(consume(fleet.bootstrapServers(), "kept")).containsExactly("record");

        // kill: the worker and the process it started; start: the same worker on the same port.
        ProcessHandle worker = fleet.process("worker-1").orElseThrow();
        List<ProcessHandle> children = worker.descendants().toList();
        assertThat(children).isNotEmpty();
        int port = fleet.port("worker-1");
        fleet.kill("worker-1");
        assertThat(worker.isAlive()).isFalse();
        assertThat(children).noneMatch(ProcessHandle::isAlive);
        fleet.start("worker-1");
        assertThat(fleet.port("worker-1")).isEqualTo(port);
        assertThat(Readiness.httpOk(fleet.managementUrl("worker-1").resolve("/q/health/ready"))).isTrue();
        assertThat(Readiness.httpOk(fleet.url("worker-1").resolve("/q/health/ready"))).as("health on the management port only").isFalse();
        assertThatThrownBy(() -> fleet.start("worker-1")).hasMessageContaining("is running");

        long reviewerPid = fleet.process("reviewer").orElseThrow().pid();
        fleet.restart("reviewer");
        assertThat(fleet.process("reviewer").orElseThrow().pid()).isNotEqualTo(reviewerPid);
        assertThat(fleet.terminate("planner")).isTrue();
        fleet.start("planner");

        assertThat(fleet.addWorker()).isEqualTo("worker-3");
        assertThat(fleet.serviceUrls().get("worker")).hasSize(3);
        assertThat(fleet.managementUrls().get("worker")).hasSize(3).doesNotContainAnyElementsOf(fleet.serviceUrls().get("worker"));
        assertThat(state.process("worker-3").orElseThrow().managementPort()).isEqualTo(fleet.managementPort("worker-3"));

        // The embedded PostgreSQL stops and starts with its data (the database) kept.
        assertThat(fleet.stopPostgres()).isTrue();
        assertThat(LocalPostgres.answers(fleet.postgresPort())).isFalse();
        fleet.startPostgres();
        assertThat(databaseExists(fleet.postgresPort(), fleet.database())).isTrue();

        // pids names what runs now (restarted processes replaced their old lines).
        assertThat(state.processes()).extracting(FleetProcess::name)
                .containsExactlyInAnyOrder("broker", "postgres", "model", "planner", "reviewer", "worker-1", "worker-2", "worker-3");
        assertThat(state.processes()).allMatch(FleetProcess::alive);

        // A crash (or a reboot): every process dies at once, the pids file stays behind.
        List<ProcessHandle> all = new ArrayList<>();
        for (FleetProcess process : state.processes()) {
            process.handle().ifPresent(handle -> {
                all.add(handle);
                handle.descendants().forEach(all::add);
            });
        }
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle handle : all) {
            handle.onExit().get();
        }
        assertThat(state.processes()).isNotEmpty().noneMatch(FleetProcess::alive);

        // `up` again on the same state directory: stale pids are forgotten, the broker's data is there.
        LocalFleet again = new LocalFleet(state, OUT);
        again.up(settings);
        try {
            assertThat(again.database()).isEqualTo(fleet.database());
            assertThat(consume(again.bootstrapServers(), "kept")).containsExactly("record");
            assertThat(databaseExists(again.postgresPort(), again.database())).isTrue();
            assertThat(Files.readString(again.log("postgres"))).as("the orphaned postmaster was stopped first")
                    .contains("left running on");
        } finally {
            List<String> stopped = again.down();
            assertThat(stopped).contains("broker", "postgres", "planner", "worker-2");
        }
        assertThat(state.pidsFile()).doesNotExist();
        for (String name : again.names()) {
            assertThat(Ports.listening(again.port(name))).as(name).isFalse();
        }
        assertThat(Ports.listening(again.managementPort("planner"))).isFalse();
    }

    @Test
    void withKafkaAuthEachServiceConnectsAsItsOwnUserWithTheManifestsAcls(@TempDir Path dir) throws Exception {
        Path project = fakeProject(dir.resolve("project"));
        Path manifests = project.resolve(KafkaAccess.MANIFESTS);
        Files.createDirectories(manifests);
        Path repository = Path.of(System.getProperty("fleet.project.root", "..")).toAbsolutePath().normalize();
        for (String file : List.of("topics.yaml", "users.yaml")) {
            Files.copy(repository.resolve(KafkaAccess.MANIFESTS).resolve(file), manifests.resolve(file));
        }
        StateDir state = StateDir.of(dir.resolve("state"));
        FleetSettings settings = FleetSettings.builder().freePorts().embeddedPostgres(0).workers(1).slotsPerWorker(1)
                .kafkaAuth(true).opencode(Path.of("/bin/true")).projectRoot(project)
                .startTimeout(Duration.ofSeconds(90)).stopTimeout(Duration.ofSeconds(15)).build();
        assertThatThrownBy(() -> settings.toBuilder().externalKafka("127.0.0.1:9092").build()).hasMessageContaining("own broker");

        try (LocalFleet fleet = LocalFleet.start(state, settings, OUT)) {
            for (String[] service : List.of(new String[] {"planner", "fleet-planner"}, new String[] {"reviewer", "fleet-reviewer"},
                    new String[] {"worker-1", "fleet-worker"})) {
                assertThat(Files.readString(fleet.log(service[0]))).contains("env KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT",
                        "env KAFKA_SASL_MECHANISM=SCRAM-SHA-256", "kafka user " + service[1]);
                assertThat(fleet.process(service[0]).orElseThrow().info().commandLine().orElse("")).as("no password where ps shows it")
                        .isNotEmpty().doesNotContain("sasl", "jaas");
            }
            Path submitter = state.kafkaClientConfig(KafkaAccess.SUBMITTER);
            assertThat(Files.getPosixFilePermissions(submitter)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            Properties config = new Properties();
            try (var in = Files.newInputStream(submitter)) {
                config.load(in);
            }
            assertThat(config).containsEntry("bootstrap.servers", fleet.bootstrapServers()).containsEntry("security.protocol", "SASL_PLAINTEXT");

            // The submitter may write fleet.missions (created up front: no client may create topics) and nothing else.
            Map<String, Object> asSubmitter = new HashMap<>(fleet.kafkaClientProperties(KafkaAccess.SUBMITTER));
            asSubmitter.put("max.block.ms", 10_000);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(asSubmitter, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("fleet.missions", "m", "{}")).get(30, TimeUnit.SECONDS);
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("fleet.tasks", "t", "{}")).get(30, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(TopicAuthorizationException.class);
            }
            try (Admin admin = Admin.create(fleet.kafkaAdminProperties())) {
                assertThat(admin.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS))
                        .filteredOn(b -> b.entry().principal().equals("User:fleet-worker"))
                        .containsExactlyInAnyOrderElementsOf(KafkaAccess.read(manifests).acls(KafkaAccess.WORKER));
            }
        }

        // Broker data made with authentication is not started without it.
        assertThatThrownBy(() -> new LocalFleet(state, OUT).up(settings.toBuilder().kafkaAuth(false).build()))
                .isInstanceOf(LocalFleetException.class).hasMessageContaining("made with authentication");
    }

    /** A project whose three services' quarkus-run.jar run {@link FakeService}. */
    private static Path fakeProject(Path root) throws Exception {
        Path classes = Path.of(FakeService.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        for (String module : List.of("planner-service", "reviewer-service", "worker-service")) {
            Path jar = root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
            Files.createDirectories(jar.getParent());
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeService.class.getName());
            manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classes.toUri().toString());
            try (OutputStream out = Files.newOutputStream(jar); JarOutputStream ignored = new JarOutputStream(out, manifest)) {
                // the manifest is all
            }
        }
        return root;
    }

    private static boolean databaseExists(int port, String database) throws Exception {
        try (Connection c = DriverManager.getConnection(LocalPostgres.serverUrl(port), LocalPostgres.USER, "");
                PreparedStatement query = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            query.setString(1, database);
            try (ResultSet found = query.executeQuery()) {
                return found.next();
            }
        }
    }

    private static void produce(String bootstrap, String topic) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all"),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "record")).get();
        }
    }

    private static List<String> consume(String bootstrap, String topic) throws IOException {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
                "group.id", "reader-" + System.nanoTime(), "group.protocol", "consumer", "auto.offset.reset", "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
            return values;
        }
    }
}
