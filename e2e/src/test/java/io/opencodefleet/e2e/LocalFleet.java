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
import java.time.Duration;
import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.FleetJson;
import org.awaitility.Awaitility;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A whole fleet for end-to-end tests: the real broker and a fresh PostgreSQL database in this JVM, the
 * scripted model, and the planner, the reviewer and N workers as separate processes from their packaged jars,
 * each worker with its own real OpenCode server.
 */
public final class LocalFleet implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final ScriptedModel model;
    final TestDatabase database;
    final String bootstrap;
    final Path dir;
    final ServiceProcess planner;
    final ServiceProcess reviewer;
    final List<ServiceProcess> workers = new ArrayList<>();

    public LocalFleet(ScriptedModel model, int workerCount) {
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
            // The reviewer's own OpenCode (review by agent) talks to the same scripted model as the workers.
            Map<String, String> modelEnv = Map.of("OPENCODE_CONFIG", opencodeConfig.toString(), "FLEET_MODEL", OpencodeTestConfig.MODEL);
            String opencodeBin = OpencodeBinary.locateOrInstall().toString();
            reviewer = ServiceProcess.start("reviewer", "reviewer-service", KafkaBroker.freePort(), Map.of(
                    "kafka.bootstrap.servers", bootstrap,
                    "fleet.reviewer.work-dir", dir.resolve("reviewer").toString(),
                    "fleet.opencode.home", dir.resolve("opencode-reviewer").toString(),
                    "fleet.opencode.bin", opencodeBin), modelEnv);
            for (int i = 1; i <= workerCount; i++) {
                workers.add(ServiceProcess.start("worker-" + i, "worker-service", KafkaBroker.freePort(), Map.of(
                        "kafka.bootstrap.servers", bootstrap,
                        "fleet.worker.id", "worker-" + i,
                        "fleet.worker.slots", "2",
                        "fleet.worker.work-dir", dir.resolve("worker-" + i).toString(),
                        "fleet.opencode.home", dir.resolve("opencode-" + i).toString(),
                        "fleet.opencode.bin", opencodeBin), modelEnv));
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
    public HttpResponse<String> submit(String missionJson) {
        return send(HttpRequest.newBuilder(URI.create(planner.url() + "/api/v1/missions"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(missionJson)).build());
    }

    /** Waits until the mission is SEALED, FAILED or CANCELLED (or {@code state}, if given) and returns its REST view. */
    public JsonNode awaitStatus(String missionId, Duration timeout, String... states) {
        List<String> wanted = states.length > 0 ? List.of(states) : List.of("SEALED", "FAILED", "CANCELLED");
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(500)).until(() -> {
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
        return send(HttpRequest.newBuilder(URI.create(planner.url() + path)).header("content-type", "application/json")
                .POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)).build());
    }

    public HttpResponse<String> get(String path) {
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

    public String logs() {
        StringBuilder text = new StringBuilder();
        for (ServiceProcess service : all()) {
            text.append("\n===== ").append(service).append(" =====\n").append(service.tail());
        }
        return text.toString();
    }

    /** Base URLs of the running services by role (planner, reviewer, worker), e.g. for a Prometheus scrape config. */
    public Map<String, List<String>> serviceUrls() {
        Map<String, List<String>> urls = new java.util.LinkedHashMap<>();
        urls.put("planner", List.of(planner.url()));
        urls.put("reviewer", List.of(reviewer.url()));
        urls.put("worker", workers.stream().map(ServiceProcess::url).toList());
        return urls;
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
