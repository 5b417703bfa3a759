package io.opencodefleet.e2e.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opencodefleet.common.messages.Topics;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes overlays render (with this module's small renderer, and with {@code kubectl kustomize} too where
 * installed, which must agree), every object has what it needs, and every name one object references exists:
 * in the rendering, or among what an operator in the rendering creates (CloudNativePG, Strimzi, External Secrets).
 */
class DeployManifestsTest {

    static final Path ROOT = Path.of(System.getProperty("fleet.project.root", "..")).toAbsolutePath().normalize();
    static final Path K8S = ROOT.resolve("deploy/k8s");
    static final Set<String> SERVICES = Set.of("fleet-planner", "fleet-worker", "fleet-reviewer");
    /** Objects the platform provides, outside these manifests. */
    static final Set<String> PROVIDED_BY_THE_PLATFORM = Set.of("ClusterSecretStore/fleet-secrets");
    static final String PART_OF = "app.kubernetes.io/part-of";
    /** kustomize appends a content hash to generated Secret names and rewrites the references to them. */
    static final Pattern GENERATED_SUFFIX = Pattern.compile("(fleet-(?:git|model)-credentials)-[a-z0-9]{10}\\b");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void overlayRendersWithEveryReferenceResolved(String overlay) throws Exception {
        List<ObjectNode> objects = Kustomization.render(K8S.resolve("overlays").resolve(overlay));
        assertValid(overlay, objects);

        Optional<List<ObjectNode>> kubectl = renderWithKubectl(overlay);
        if (kubectl.isPresent()) {
            assertValid(overlay + " (kubectl)", kubectl.get());
            assertThat(normalized(kubectl.get())).as("kubectl kustomize and this test's renderer agree on " + overlay)
                    .isEqualTo(normalized(objects));
        }
    }

    @Test
    void prometheusRuleHoldsExactlyTheAlertRulesFile() {
        JsonNode rule = Kustomization.find(Kustomization.render(K8S.resolve("base")), "PrometheusRule", "fleet-alerts");
        JsonNode file = Kustomization.readAll(ROOT.resolve("deploy/prometheus/rules/fleet-alerts.yaml")).get(0);
        assertThat(rule.path("spec").path("groups")).isEqualTo(file.path("groups"));
    }

    private static void assertValid(String overlay, List<ObjectNode> objects) throws IOException {
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> keys = existingObjects(objects); // "Kind/name" → keys (null: unknown)
        String namespace = objects.stream().filter(o -> kind(o).equals("Namespace")).map(DeployManifestsTest::name).findFirst().orElse(null);
        if (namespace == null) {
            problems.add("no Namespace");
        }
        Set<String> seen = new HashSet<>();
        for (ObjectNode o : objects) {
            String id = kind(o) + "/" + name(o);
            if (o.path("apiVersion").asText().isEmpty() || kind(o).isEmpty() || name(o).isEmpty()) {
                problems.add("apiVersion, kind and metadata.name required: " + o);
            }
            if (!seen.add(id)) {
                problems.add(id + " twice");
            }
            if (!Set.of("Namespace", "Secret", "ExternalSecret").contains(kind(o)) && !"opencode-fleet".equals(o.path("metadata").path("labels").path(PART_OF).asText())) {
                problems.add(id + ": no label " + PART_OF + "=opencode-fleet");
            }
            if (!kind(o).equals("Namespace") && !o.path("metadata").path("namespace").asText().equals(namespace)) {
                problems.add(id + ": not in namespace " + namespace);
            }
        }
        for (ObjectNode deployment : ofKind(objects, "Deployment")) {
            checkDeployment(deployment, keys, problems);
        }
        for (ObjectNode service : ofKind(objects, "Service")) {
            checkService(service, objects, problems);
        }
        checkKafka(objects, keys, problems);
        checkScaledObject(objects, keys, problems);
        checkPodMonitor(objects, problems);
        for (ObjectNode external : ofKind(objects, "ExternalSecret")) {
            JsonNode store = external.path("spec").path("secretStoreRef");
            requireExists(keys, store.path("kind").asText() + "/" + store.path("name").asText(), "ExternalSecret/" + name(external), problems);
        }
        for (ObjectNode config : ofKind(objects, "ConfigMap")) {
            // Hosts the services connect to must be Services of the fleet.
            String bootstrap = config.path("data").path("KAFKA_BOOTSTRAP_SERVERS").asText();
            if (!bootstrap.isEmpty()) {
                requireExists(keys, "Service/" + bootstrap.split(":")[0], "ConfigMap/" + name(config) + " KAFKA_BOOTSTRAP_SERVERS", problems);
            }
        }
        assertThat(problems).as(overlay).isEmpty();
    }

    private static void checkDeployment(ObjectNode deployment, Map<String, Set<String>> keys, List<String> problems) {
        String id = "Deployment/" + name(deployment);
        JsonNode template = deployment.path("spec").path("template");
        JsonNode labels = template.path("metadata").path("labels");
        if (!matches(deployment.path("spec").path("selector").path("matchLabels"), labels)) {
            problems.add(id + ": selector does not match its pod template");
        }
        if (!labels.path("app.kubernetes.io/name").asText().equals(name(deployment))) {
            problems.add(id + ": pod label app.kubernetes.io/name must be the Deployment's name (it becomes the Prometheus job)");
        }
        JsonNode spec = template.path("spec");
        for (JsonNode container : spec.path("containers")) {
            String where = id + " container " + container.path("name").asText();
            if (!container.path("image").asText().matches("[^:]+:[\\w.-]+")) {
                problems.add(where + ": image needs a tag: " + container.path("image").asText());
            }
            if (!container.path("resources").path("requests").has("memory")) {
                problems.add(where + ": no memory request");
            }
            Set<String> ports = new HashSet<>();
            container.path("ports").forEach(p -> ports.add(p.path("name").asText()));
            if (!ports.contains("http")) {
                problems.add(where + ": no port named http");
            }
            for (String[] probe : List.of(new String[] {"livenessProbe", "/q/health/live"}, new String[] {"readinessProbe", "/q/health/ready"})) {
                JsonNode get = container.path(probe[0]).path("httpGet");
                if (!get.path("path").asText().equals(probe[1]) || !ports.contains(get.path("port").asText())) {
                    problems.add(where + ": " + probe[0] + " must GET " + probe[1] + " on a named port");
                }
            }
            for (JsonNode from : container.path("envFrom")) {
                from.fields().forEachRemaining(ref -> requireExists(keys,
                        (ref.getKey().equals("secretRef") ? "Secret/" : "ConfigMap/") + ref.getValue().path("name").asText(), where, problems));
            }
            for (JsonNode env : container.path("env")) {
                env.path("valueFrom").fields().forEachRemaining(ref -> {
                    switch (ref.getKey()) {
                        case "secretKeyRef" -> requireKey(keys, "Secret/" + ref.getValue().path("name").asText(), ref.getValue().path("key").asText(), where, problems);
                        case "configMapKeyRef" -> requireKey(keys, "ConfigMap/" + ref.getValue().path("name").asText(), ref.getValue().path("key").asText(), where, problems);
                        default -> { }
                    }
                });
                String value = env.path("value").asText();
                if (value.startsWith("jdbc:postgresql://")) {
                    requireExists(keys, "Service/" + URI.create(value.substring(5)).getHost(), where + " " + env.path("name").asText(), problems);
                }
            }
            Set<String> volumes = new HashSet<>();
            spec.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
            container.path("volumeMounts").forEach(m -> {
                if (!volumes.contains(m.path("name").asText())) {
                    problems.add(where + ": mounts unknown volume " + m.path("name").asText());
                }
            });
        }
        for (JsonNode volume : spec.path("volumes")) {
            String where = id + " volume " + volume.path("name").asText();
            for (String[] source : List.of(new String[] {"configMap", "name", "ConfigMap/"}, new String[] {"secret", "secretName", "Secret/"})) {
                JsonNode ref = volume.path(source[0]);
                if (ref.isObject()) {
                    String target = source[2] + ref.path(source[1]).asText();
                    requireExists(keys, target, where, problems);
                    ref.path("items").forEach(item -> requireKey(keys, target, item.path("key").asText(), where, problems));
                }
            }
        }
    }

    private static void checkService(ObjectNode service, List<ObjectNode> objects, List<String> problems) {
        List<ObjectNode> backing = ofKind(objects, "Deployment").stream()
                .filter(d -> matches(service.path("spec").path("selector"), d.path("spec").path("template").path("metadata").path("labels"))).toList();
        if (backing.isEmpty()) {
            problems.add("Service/" + name(service) + ": selects no Deployment's pods");
        }
        for (JsonNode port : service.path("spec").path("ports")) {
            String target = port.path("targetPort").asText();
            boolean named = backing.stream().anyMatch(d -> d.path("spec").path("template").path("spec").path("containers").findValues("ports").stream()
                    .flatMap(ps -> java.util.stream.StreamSupport.stream(ps.spliterator(), false)).anyMatch(p -> p.path("name").asText().equals(target)
                            || p.path("containerPort").asText().equals(target)));
            if (!named) {
                problems.add("Service/" + name(service) + ": targetPort " + target + " is no container port");
            }
        }
    }

    private static void checkKafka(List<ObjectNode> objects, Map<String, Set<String>> keys, List<String> problems) throws IOException {
        for (ObjectNode o : objects) {
            if (kind(o).equals("KafkaTopic") || kind(o).equals("KafkaNodePool")) {
                requireExists(keys, "Kafka/" + o.path("metadata").path("labels").path("strimzi.io/cluster").asText(), kind(o) + "/" + name(o), problems);
            }
        }
        Set<String> expected = new TreeSet<>(Topics.ALL);
        expected.addAll(deadLetterTopics());
        Set<String> declared = new TreeSet<>();
        ofKind(objects, "KafkaTopic").forEach(t -> declared.add(t.path("spec").path("topicName").asText(name(t))));
        if (!declared.equals(expected)) {
            problems.add("KafkaTopics " + declared + " must be the fleet's topics and dead-letter topics " + expected);
        }
    }

    /** The {@code <topic>.dlq} topics the services' consumers are configured to write. */
    static Set<String> deadLetterTopics() throws IOException {
        Set<String> topics = new TreeSet<>();
        for (String module : List.of("planner-service", "worker-service", "reviewer-service")) {
            Properties properties = new Properties();
            try (var in = Files.newBufferedReader(ROOT.resolve(module).resolve("src/main/resources/application.properties"))) {
                properties.load(in);
            }
            properties.forEach((key, value) -> {
                if (key.toString().endsWith(".dead-letter-queue.topic")) {
                    topics.add(value.toString());
                }
            });
        }
        return topics;
    }

    private static void checkScaledObject(List<ObjectNode> objects, Map<String, Set<String>> keys, List<String> problems) {
        ObjectNode scaled = Kustomization.find(objects, "ScaledObject", "fleet-worker");
        JsonNode spec = scaled.path("spec");
        requireExists(keys, "Deployment/" + spec.path("scaleTargetRef").path("name").asText(), "ScaledObject/fleet-worker", problems);
        JsonNode trigger = spec.path("triggers").get(0).path("metadata");
        assertThat(spec.path("triggers").get(0).path("type").asText()).isEqualTo("kafka");
        assertThat(trigger.path("topic").asText()).isEqualTo(Topics.TASKS);
        assertThat(trigger.path("consumerGroup").asText()).isEqualTo(Topics.WORKERS_GROUP);
        requireExists(keys, "Service/" + trigger.path("bootstrapServers").asText().split(":")[0], "ScaledObject/fleet-worker", problems);
        ObjectNode tasks = ofKind(objects, "KafkaTopic").stream().filter(t -> t.path("spec").path("topicName").asText().equals(Topics.TASKS))
                .findFirst().orElseThrow();
        if (spec.path("maxReplicaCount").asInt() != tasks.path("spec").path("partitions").asInt()) {
            problems.add("ScaledObject maxReplicaCount " + spec.path("maxReplicaCount") + " must equal the " + Topics.TASKS
                    + " partitions " + tasks.path("spec").path("partitions") + ": a worker beyond them gets no partition");
        }
        if (spec.path("minReplicaCount").asInt() < 1 || spec.path("minReplicaCount").asInt() > spec.path("maxReplicaCount").asInt()) {
            problems.add("ScaledObject minReplicaCount must be within 1..maxReplicaCount");
        }
        JsonNode slots = Kustomization.find(objects, "Deployment", "fleet-worker").path("spec").path("template").path("spec")
                .path("containers").get(0).path("env").findParents("name").stream()
                .filter(e -> e.path("name").asText().equals("FLEET_WORKER_SLOTS")).findFirst().map(e -> e.path("value")).orElse(null);
        if (slots == null || !slots.asText().equals(trigger.path("lagThreshold").asText())) {
            problems.add("ScaledObject lagThreshold " + trigger.path("lagThreshold") + " must equal the worker's FLEET_WORKER_SLOTS " + slots);
        }
    }

    private static void checkPodMonitor(List<ObjectNode> objects, List<String> problems) {
        ObjectNode monitor = ofKind(objects, "PodMonitor").stream().findFirst().orElseThrow(() -> new AssertionError("no PodMonitor"));
        JsonNode spec = monitor.path("spec");
        Set<String> selected = new TreeSet<>();
        for (ObjectNode deployment : ofKind(objects, "Deployment")) {
            JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
            boolean matched = matches(spec.path("selector").path("matchLabels"), labels);
            for (JsonNode expression : spec.path("selector").path("matchExpressions")) {
                Set<String> values = new HashSet<>();
                expression.path("values").forEach(v -> values.add(v.asText()));
                matched &= expression.path("operator").asText().equals("In") && values.contains(labels.path(expression.path("key").asText()).asText());
            }
            if (matched) {
                selected.add(labels.path(spec.path("jobLabel").asText()).asText());
            }
        }
        if (!selected.equals(SERVICES)) {
            problems.add("PodMonitor must select exactly the three services, with jobLabel giving their names as jobs; got " + selected);
        }
        for (JsonNode endpoint : spec.path("podMetricsEndpoints")) {
            if (!endpoint.path("port").asText().equals("http") || !endpoint.path("path").asText().equals("/q/metrics")) {
                problems.add("PodMonitor endpoint must scrape port http at /q/metrics: " + endpoint);
            }
        }
    }

    /** "Kind/name" of every object, and of what the operators create from them, with their keys where known. */
    private static Map<String, Set<String>> existingObjects(List<ObjectNode> objects) {
        Map<String, Set<String>> existing = new HashMap<>();
        for (ObjectNode o : objects) {
            Set<String> keys = new HashSet<>();
            o.path("data").fieldNames().forEachRemaining(keys::add);
            o.path("stringData").fieldNames().forEachRemaining(keys::add);
            existing.put(kind(o) + "/" + name(o), keys);
            switch (kind(o)) {
                case "Cluster" -> { // CloudNativePG
                    existing.put("Secret/" + name(o) + "-app", Set.of("username", "password", "uri", "jdbc-uri", "host", "port", "dbname"));
                    for (String service : List.of("-rw", "-ro", "-r")) {
                        existing.put("Service/" + name(o) + service, Set.of());
                    }
                }
                case "Kafka" -> existing.put("Service/" + name(o) + "-kafka-bootstrap", Set.of()); // Strimzi
                case "ExternalSecret" -> {
                    Set<String> secretKeys = new HashSet<>();
                    o.path("spec").path("data").forEach(d -> secretKeys.add(d.path("secretKey").asText()));
                    // dataFrom brings whatever keys the store holds: unknown here.
                    existing.put("Secret/" + o.path("spec").path("target").path("name").asText(name(o)),
                            o.path("spec").has("dataFrom") ? null : secretKeys);
                }
                default -> { }
            }
        }
        PROVIDED_BY_THE_PLATFORM.forEach(id -> existing.put(id, null));
        return existing;
    }

    private static void requireExists(Map<String, Set<String>> existing, String id, String where, List<String> problems) {
        if (!existing.containsKey(id)) {
            problems.add(where + " references " + id + ", which does not exist");
        }
    }

    private static void requireKey(Map<String, Set<String>> existing, String id, String key, String where, List<String> problems) {
        if (!existing.containsKey(id)) {
            requireExists(existing, id, where, problems);
            return;
        }
        Set<String> keys = existing.get(id);
        if (keys != null && !keys.isEmpty() && !keys.contains(key)) {
            problems.add(where + " references key " + key + " of " + id + ", which has only " + keys);
        }
    }

    private static boolean matches(JsonNode selector, JsonNode labels) {
        boolean[] all = {true};
        selector.fields().forEachRemaining(e -> all[0] &= labels.path(e.getKey()).asText().equals(e.getValue().asText()));
        return all[0];
    }

    private static List<ObjectNode> ofKind(List<ObjectNode> objects, String kind) {
        return objects.stream().filter(o -> kind(o).equals(kind)).toList();
    }

    private static String kind(JsonNode o) {
        return o.path("kind").asText();
    }

    private static String name(JsonNode o) {
        return o.path("metadata").path("name").asText();
    }

    /** Objects by "Kind/name", with generated-name hashes removed and Secret data left out (kubectl base64-encodes it). */
    private static Map<String, String> normalized(List<ObjectNode> objects) throws IOException {
        Map<String, String> byId = new java.util.TreeMap<>();
        for (ObjectNode o : objects) {
            ObjectNode copy = o.deepCopy();
            if (kind(copy).equals("Secret")) {
                copy.remove(List.of("data", "stringData", "type"));
            }
            String text = GENERATED_SUFFIX.matcher(Kustomization.YAML.writeValueAsString(copy)).replaceAll("$1");
            JsonNode tree = Kustomization.YAML.readTree(text);
            byId.put(kind(tree) + "/" + name(tree), Kustomization.JSON_SORTED.writeValueAsString(tree));
        }
        return byId;
    }

    /** {@code kubectl kustomize} of a copy of deploy/k8s whose local secret files come from their examples; empty without kubectl. */
    private static Optional<List<ObjectNode>> renderWithKubectl(String overlay) throws Exception {
        Optional<Path> kubectl = Stream.of(System.getenv("PATH").split(":")).map(dir -> Path.of(dir, "kubectl")).filter(Files::isExecutable).findFirst();
        if (kubectl.isEmpty()) {
            return Optional.empty();
        }
        Path copy = Files.createTempDirectory("fleet-k8s-");
        try (Stream<Path> files = Files.walk(K8S)) {
            for (Path file : files.toList()) {
                Path target = copy.resolve(K8S.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                    if (file.toString().endsWith(".example")) {
                        Files.copy(file, Path.of(target.toString().replaceFirst("\\.example$", "")), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        Path output = copy.resolve("rendered.yaml");
        Process process = new ProcessBuilder(kubectl.get().toString(), "kustomize", copy.resolve("overlays").resolve(overlay).toString())
                .redirectOutput(output.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError("kubectl kustomize " + overlay + " failed");
        }
        List<ObjectNode> objects = new ArrayList<>();
        Kustomization.readAll(output).forEach(o -> objects.add((ObjectNode) o));
        return Optional.of(objects);
    }
}
