package io.opencodefleet.e2e;

import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.model.ScriptedModel;
import io.opencodefleet.common.opencode.OpencodeBinary;
import io.opencodefleet.testkit.opencode.OpencodeTestConfig;
import io.opencodefleet.testkit.postgres.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole fleet for end-to-end tests: the real broker and a fresh PostgreSQL database in this JVM, the
 * scripted model, and the planner, the reviewer and N workers as separate processes from their packaged jars,
 * each worker with its own real OpenCode server.
 */
final class LocalFleet implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final ScriptedModel model;
    final TestDatabase database;
    final String bootstrap;
    final Path dir;
    final ServiceProcess planner;
    final ServiceProcess reviewer;
    final List<ServiceProcess> workers = new ArrayList<>();

    LocalFleet(ScriptedModel model, int workerCount) {
        this.model = model;
        try {
            dir = Files.createTempDirectory("fleet-e2e-");
            Path opencodeConfig = dir.resolve("opencode.json");
            Files.writeString(opencodeConfig, OpencodeTestConfig.jsonFor(model));
            bootstrap = KafkaBroker.shared().bootstrapServers();
            database = TestDatabase.create();
            planner = ServiceProcess.start("planner", "planner-service", KafkaBroker.freePort(), Map.of(
                    "kafka.bootstrap.servers", bootstrap,
                    "quarkus.datasource.jdbc.url", database.jdbcUrl(),
                    "quarkus.datasource.username", database.username(),
                    "quarkus.datasource.password", database.password(),
                    "fleet.lease-seconds", "60"), Map.of());
            reviewer = ServiceProcess.start("reviewer", "reviewer-service", KafkaBroker.freePort(), Map.of(
                    "kafka.bootstrap.servers", bootstrap,
                    "fleet.reviewer.work-dir", dir.resolve("reviewer").toString()), Map.of());
            for (int i = 1; i <= workerCount; i++) {
                Map<String, String> env = new HashMap<>();
                env.put("OPENCODE_CONFIG", opencodeConfig.toString());
                env.put("FLEET_MODEL", OpencodeTestConfig.MODEL);
                workers.add(ServiceProcess.start("worker-" + i, "worker-service", KafkaBroker.freePort(), Map.of(
                        "kafka.bootstrap.servers", bootstrap,
                        "fleet.worker.id", "worker-" + i,
                        "fleet.worker.slots", "2",
                        "fleet.worker.work-dir", dir.resolve("worker-" + i).toString(),
                        "fleet.opencode.home", dir.resolve("opencode-" + i).toString(),
                        "fleet.opencode.bin", OpencodeBinary.locateOrInstall().toString()), env));
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** POSTs a mission and returns the HTTP response (status and body). */
    HttpResponse<String> submit(String missionJson) {
        return send(HttpRequest.newBuilder(URI.create(planner.url() + "/api/v1/missions"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(missionJson)).build());
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(planner.url() + path)).GET().build());
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String logs() {
        StringBuilder text = new StringBuilder();
        for (ServiceProcess service : all()) {
            text.append("\n===== ").append(service).append(" =====\n").append(service.tail());
        }
        return text.toString();
    }

    private List<ServiceProcess> all() {
        List<ServiceProcess> services = new ArrayList<>(workers);
        if (reviewer != null) {
            services.add(reviewer);
        }
        if (planner != null) {
            services.add(planner);
        }
        return services;
    }

    @Override
    public void close() {
        for (ServiceProcess service : all()) {
            service.close();
        }
        if (database != null) {
            database.close();
        }
    }
}
