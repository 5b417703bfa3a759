package io.opencodefleet.e2e.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;

/**
 * The laptop compose file and the service images: every file they copy or mount exists, every host they
 * name is a compose service, Prometheus scrapes each service on the management port its image exposes, and
 * what compose publishes is on this machine's loopback only.
 */
class ComposeAndImagesTest {

    private static final Path ROOT = DeployManifestsTest.ROOT;
    private static final Path COMPOSE = ROOT.resolve("deploy/compose/compose.yaml");
    private static final Map<String, String> MODULES = Map.of("planner", "planner-service", "worker", "worker-service", "reviewer", "reviewer-service");
    private static final Pattern COPY = Pattern.compile("(?m)^COPY\\s+(?:--\\S+\\s+)*(.+)\\s+\\S+$");
    private static final Pattern EXPOSE = Pattern.compile("(?m)^EXPOSE\\s+([\\d ]+)$");

    @Test
    void composeReferencesResolve() {
        JsonNode services = services();
        List<String> problems = new ArrayList<>();
        services.fields().forEachRemaining(entry -> {
            String name = entry.getKey();
            JsonNode service = entry.getValue();
            if (service.has("build")) {
                Path context = COMPOSE.getParent().resolve(service.path("build").path("context").asText()).normalize();
                requireFile(context.resolve(service.path("build").path("dockerfile").asText()), name + " dockerfile", problems);
            } else if (!service.path("image").asText().contains(":")) {
                problems.add(name + ": image without a tag");
            }
            for (JsonNode volume : service.path("volumes")) {
                String source = volume.asText().split(":")[0];
                if (source.startsWith(".")) {
                    requireFile(COMPOSE.getParent().resolve(source).normalize(), name + " mount", problems);
                } else if (!services.has(source) && !volumes().has(source)) {
                    problems.add(name + ": unknown volume " + source);
                }
            }
            for (JsonNode envFile : service.path("env_file")) {
                requireFile(COMPOSE.getParent().resolve(envFile.asText() + ".example"), name + " env_file example", problems);
            }
            JsonNode dependsOn = service.path("depends_on"); // a list of names or a map by name
            (dependsOn.isArray() ? dependsOn.elements() : dependsOn.fieldNames()).forEachRemaining(d -> requireService(services,
                    d instanceof JsonNode node ? node.asText() : d.toString(), name + " depends_on", problems));
            service.path("environment").fields().forEachRemaining(env -> {
                Matcher host = Pattern.compile("^(?:jdbc:postgresql://|https?://)?([a-z][\\w-]*):\\d+").matcher(env.getValue().asText());
                if (host.find()) {
                    requireService(services, host.group(1), name + " " + env.getKey(), problems);
                }
            });
        });
        assertThat(problems).isEmpty();
    }

    @Test
    void prometheusScrapesEachComposeServiceOnTheManagementPortItsImageExposes() throws IOException {
        JsonNode services = services();
        Map<String, String> scraped = new TreeMap<>();
        for (JsonNode job : Kustomization.readAll(ROOT.resolve("deploy/prometheus/prometheus.yml")).get(0).path("scrape_configs")) {
            scraped.put(job.path("job_name").asText(), job.path("static_configs").get(0).path("targets").get(0).asText());
        }
        Map<String, String> expected = new TreeMap<>();
        for (Map.Entry<String, String> module : MODULES.entrySet()) {
            assertThat(services.has(module.getKey())).as("compose service " + module.getKey()).isTrue();
            String dockerfile = dockerfile(module.getValue());
            Matcher exposed = EXPOSE.matcher(dockerfile);
            assertThat(exposed.find()).as(module.getValue() + " Dockerfile EXPOSE").isTrue();
            int management = AccessChecks.configuredManagementPort(module.getValue(), Map.of());
            assertThat(List.of(exposed.group(1).trim().split("\\s+"))).as(module.getValue() + " exposes its management port")
                    .contains(String.valueOf(management));
            // Inside a container the management interface must listen beyond loopback (its default here is 127.0.0.1).
            assertThat(dockerfile).as(module.getValue()).contains("QUARKUS_MANAGEMENT_HOST=0.0.0.0");
            expected.put("fleet-" + module.getKey(), module.getKey() + ":" + management);
        }
        assertThat(scraped).isEqualTo(expected);
    }

    @Test
    void composePublishesOnLoopbackOnly() {
        List<String> problems = new ArrayList<>();
        services().fields().forEachRemaining(service -> service.getValue().path("ports").forEach(port -> {
            if (!port.asText().startsWith("127.0.0.1:")) {
                problems.add(service.getKey() + " publishes " + port.asText() + " beyond this machine's loopback");
            }
        }));
        assertThat(problems).isEmpty();
        assertThat(services().path("planner").path("ports").toString()).contains("127.0.0.1:8080:8080");
    }

    /**
     * The services' consumers speak the consumer group protocol of Kafka 4 ({@code group.protocol=consumer}), which
     * a 3.x broker refuses: the brokers compose and Strimzi run are the release the clients and tests are built with.
     */
    @Test
    void theBrokersRunTheKafkaReleaseTheClientsAreBuiltWith() {
        String clients = AppInfoParser.getVersion();
        assertThat(services().path("kafka").path("image").asText()).isEqualTo("apache/kafka:" + clients);
        JsonNode strimzi = Kustomization.readAll(ROOT.resolve("deploy/k8s/base/kafka/kafka.yaml")).stream()
                .filter(doc -> doc.path("kind").asText().equals("Kafka")).findFirst().orElseThrow();
        assertThat(strimzi.path("spec").path("kafka").path("version").asText()).isEqualTo(clients);
    }

    @Test
    void imagesCopyWhatExistsAndTheWorkerPinsOpencodeWithRipgrepAndGit() throws IOException {
        List<String> problems = new ArrayList<>();
        for (String module : MODULES.values()) {
            Matcher copy = COPY.matcher(dockerfile(module));
            while (copy.find()) {
                for (String source : copy.group(1).trim().split("\\s+")) {
                    // Build output exists only after ./mvnw package; everything else must be in the repository.
                    if (!source.startsWith(module + "/target/quarkus-app/")) {
                        requireFile(ROOT.resolve(source), module + " Dockerfile COPY", problems);
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
        String worker = dockerfile("worker-service");
        assertThat(worker).contains("COPY package.json package-lock.json").contains("npm install").contains("ripgrep").contains(" git ")
                .contains("OPENCODE_BIN=/opt/opencode/node_modules/.bin/opencode");
        JsonNode lock = Kustomization.JSON_SORTED.readTree(ROOT.resolve("package-lock.json").toFile());
        JsonNode pkg = Kustomization.JSON_SORTED.readTree(ROOT.resolve("package.json").toFile());
        assertThat(pkg.path("dependencies").path("opencode-ai").asText()).as("opencode-ai pinned to an exact version")
                .matches("\\d+\\.\\d+\\.\\d+")
                .isEqualTo(lock.path("packages").path("node_modules/opencode-ai").path("version").asText());
    }

    private static String dockerfile(String module) throws IOException {
        return Files.readString(ROOT.resolve(module).resolve("src/main/docker/Dockerfile.jvm"));
    }

    /** The compose services with YAML merge keys ({@code <<: *anchor}) applied, as compose does. */
    private static JsonNode services() {
        ObjectNode services = (ObjectNode) Kustomization.readAll(COMPOSE).get(0).path("services");
        services.fields().forEachRemaining(entry -> {
            ObjectNode service = (ObjectNode) entry.getValue();
            JsonNode base = service.remove("<<");
            if (base != null) {
                base.fields().forEachRemaining(f -> {
                    if (!service.has(f.getKey())) {
                        service.set(f.getKey(), f.getValue());
                    }
                });
            }
        });
        return services;
    }

    private static JsonNode volumes() {
        return Kustomization.readAll(COMPOSE).get(0).path("volumes");
    }

    private static void requireService(JsonNode services, String name, String where, List<String> problems) {
        if (!services.has(name)) {
            problems.add(where + " names " + name + ", which is no compose service");
        }
    }

    private static void requireFile(Path file, String where, List<String> problems) {
        if (!Files.exists(file)) {
            problems.add(where + ": " + ROOT.relativize(file) + " does not exist");
        }
    }
}
