package io.opencodefleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.opencode.OpencodeBinary;
import io.opencodefleet.devstack.fleet.FleetSettings;
import io.opencodefleet.devstack.fleet.ModelChoice;
import io.opencodefleet.devstack.fleet.StateDir;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.postgres.LocalPostgres;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A whole fleet for end-to-end tests, on devstack's {@link io.opencodefleet.devstack.fleet.LocalFleet}: the planner,
 * the reviewer and N workers (each with its own real OpenCode) as processes from their packaged jars, the test's
 * scripted model, by default the JVM's shared broker ({@link KafkaBroker#shared()}, so tests read its topics) and a
 * fresh database on the PostgreSQL server at 127.0.0.1:5432 (dropped on {@link #close()}), else on an embedded one.
 *
 * <p>Chaos tests customise the settings (e.g. {@code b -> b.externalKafka(null).embeddedPostgres(0)} for a broker
 * process and a PostgreSQL of the fleet's own, {@code plannerProperty("fleet.lease", "20s")}) and kill, stop and
 * restart its processes through {@link #devstack()}.
 */
public final class LocalFleet implements AutoCloseable {

    /** The scripted model the services use (null when the test runs none). */
    final ScriptedModel model;
    /** The broker's bootstrap servers. */
    final String bootstrap;
    /** The fleet's state directory: logs, work dirs, OpenCode data, broker and PostgreSQL data of its own. */
    final Path dir;
    private final io.opencodefleet.devstack.fleet.LocalFleet fleet;
    private final String database;
    private final boolean dropDatabase;
    private final Thread shutdownHook;
    private boolean closed;

    /** The default fleet: {@code workers} workers with 2 slots each, a reviewer, the shared broker. */
    public LocalFleet(ScriptedModel model, int workers) {
        this(model, workers, settings -> {
        });
    }

    /** A fleet whose settings the test adjusts after the defaults ({@code customize} may override any of them). */
    public LocalFleet(ScriptedModel model, int workers, Consumer<FleetSettings.Builder> customize) {
        this.model = model;
        try {
            dir = Files.createTempDirectory("fleet-e2e-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        database = "fleet_e2e_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT);
        FleetSettings.Builder settings = FleetSettings.builder()
                .workers(workers)
                .slotsPerWorker(2)
                .model(model != null ? ModelChoice.scriptedAt(model.baseUrl()) : ModelChoice.none())
                .opencode(OpencodeBinary::locateOrInstall)
                .database(database)
                .jvmOptions(List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .startTimeout(Duration.ofSeconds(90))
                .stopTimeout(Duration.ofSeconds(20));
        if (LocalPostgres.answers(5432)) {
            settings.postgres(5432);
        } else {
            settings.embeddedPostgres(0);
        }
        settings.freePorts().externalKafka(KafkaBroker.shared().bootstrapServers());
        customize.accept(settings);
        FleetSettings built = settings.build();
        dropDatabase = built.postgres() == FleetSettings.Postgres.AUTO && built.database() != null;
        fleet = new io.opencodefleet.devstack.fleet.LocalFleet(StateDir.of(dir),
                new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        shutdownHook = new Thread(this::closeQuietly, "e2e-fleet-down");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            fleet.up(built);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        bootstrap = fleet.bootstrapServers();
    }

    /** devstack's fleet underneath: process control ({@code kill}, {@code terminate}, {@code restart}, {@code addWorker}, ...). */
    public io.opencodefleet.devstack.fleet.LocalFleet devstack() {
        return fleet;
    }

    public ScriptedModel model() {
        return model;
    }

    public String bootstrap() {
        return bootstrap;
    }

    public Path dir() {
        return dir;
    }

    public String plannerUrl() {
        return fleet.plannerUrl().toString();
    }

    /** POSTs a mission and returns the HTTP response (status and body). */
    public HttpResponse<String> submit(String missionJson) {
        return fleet.submit(missionJson);
    }

    /** Waits until the mission is SEALED, FAILED or CANCELLED (or one of {@code states}, if given) and returns its REST view. */
    public JsonNode awaitStatus(String missionId, Duration timeout, String... states) {
        List<String> wanted = states.length > 0 ? List.of(states) : List.of("SEALED", "FAILED", "CANCELLED");
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(500)).ignoreExceptionsMatching(UncheckedIOException.class::isInstance)
                .until(() -> {
                    HttpResponse<String> response = get("/api/v1/missions/" + missionId);
                    if (response.statusCode() != 200) {
                        return false;
                    }
                    last[0] = json(response.body());
                    return wanted.contains(last[0].path("status").asText());
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

    /** POSTs a JSON body (or none) to the planner. */
    public HttpResponse<String> post(String path, String json) {
        return fleet.post(path, json);
    }

    public HttpResponse<String> get(String path) {
        return fleet.get(path);
    }

    /** The end of every process's log. */
    public String logs() {
        return fleet.logs();
    }

    /** Main base URLs of the running services by role (planner, reviewer, worker): the planner's API. */
    public Map<String, List<String>> serviceUrls() {
        return fleet.serviceUrls();
    }

    /**
     * Management base URLs of the running services by role (planner, reviewer, worker), where {@code /q/health} and
     * {@code /q/metrics} answer: e.g. for a Prometheus scrape config.
     */
    public Map<String, List<String>> managementUrls() {
        return fleet.managementUrls();
    }

    /**
     * Stops every process, drops the database on the machine's server, keeps the logs in
     * {@code e2e/target/e2e-logs/<state dir name>/} and deletes the state directory.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            fleet.down();
        } finally {
            keepLogs();
            deleteStateDir();
            if (dropDatabase) {
                try {
                    LocalPostgres.dropDatabase(5432, database);
                } catch (RuntimeException e) {
                    System.err.println("could not drop " + database + ": " + e.getMessage());
                }
            }
            if (Thread.currentThread() != shutdownHook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down already
                }
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("e2e fleet in " + dir + " did not stop cleanly: " + e.getMessage());
        }
    }

    private void deleteStateDir() {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }

    private void keepLogs() {
        Path logs = dir.resolve("logs");
        if (!Files.isDirectory(logs)) {
            return;
        }
        Path target = StateDir.projectRoot().resolve("e2e/target/e2e-logs").resolve(dir.getFileName().toString());
        try (Stream<Path> files = Files.list(logs)) {
            Files.createDirectories(target);
            for (Path log : files.toList()) {
                Files.copy(log, target.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("could not keep the logs of " + dir + ": " + e.getMessage());
        }
    }
}
