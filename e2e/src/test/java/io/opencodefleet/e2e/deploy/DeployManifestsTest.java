package io.opencodefleet.e2e.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opencodefleet.common.messages.Topics;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * installed, which must agree), every object matches its kind's schema where one can be had offline
 * ({@link ManifestSchemas}), every object has what it needs, and every name one object references exists:
 * in the rendering, or among what an operator in the rendering creates (CloudNativePG, Strimzi, External Secrets).
 * Who may reach and do what ({@link AccessChecks}): Kafka users with exactly the ACLs the services' channels need,
 * credentials and the cluster CA in every Deployment, health and metrics on the management port, NetworkPolicies.
 * Scale-in ({@code checkWorkerScaling}): KEDA's numbers against the worker's slots and the topic's partitions, the
 * grace period against the worker's drain. The worker pod's layout ({@code checkWorkerPod}): the agent in a container
 * of its own with only the model credentials.
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

    /**
     * Every object of the rendering (kubectl's where installed) against its kind's schema, strictly: Kubernetes' own
     * kinds and the Prometheus Operator's, Strimzi's CRDs ({@link ManifestSchemas}). The kinds no offline artifact has a
     * schema for are named in {@link ManifestSchemas#WITHOUT_SCHEMA}; a new kind must be one or the other.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod", "remote-workers"})
    void overlayMatchesTheKubernetesAndCrdSchemas(String overlay) throws Exception {
        List<ObjectNode> objects = renderWithKubectl(overlay).orElseGet(() -> Kustomization.render(K8S.resolve("overlays").resolve(overlay)));
        ManifestSchemas schemas = ManifestSchemas.get();
        Set<String> allowedWithout = new TreeSet<>(ManifestSchemas.WITHOUT_SCHEMA);
        if (schemas.strimziUnavailable() != null) {
            assertThat(System.getenv("CI")).as("CI checks the Strimzi objects against their CRDs, but " + schemas.strimziUnavailable()).isNull();
            System.err.println("Strimzi objects not checked against their CRDs: " + schemas.strimziUnavailable());
            objects.stream().filter(o -> o.path("apiVersion").asText().startsWith(ManifestSchemas.STRIMZI_GROUP + "/"))
                    .forEach(o -> allowedWithout.add(o.path("apiVersion").asText() + " " + kind(o)));
        }
        List<String> problems = new ArrayList<>();
        Set<String> without = new TreeSet<>();
        for (ObjectNode o : objects) {
            if (schemas.covers(o.path("apiVersion").asText(), kind(o))) {
                problems.addAll(schemas.validate(o));
            } else {
                without.add(o.path("apiVersion").asText() + " " + kind(o));
            }
        }
        assertThat(problems).as(overlay).isEmpty();
        assertThat(without).as(overlay + ": kinds without a schema here (give them one, or name them in ManifestSchemas.WITHOUT_SCHEMA with the reason)")
                .isSubsetOf(allowedWithout);
    }

    /** The schema check is strict: it refuses what the API server (or Strimzi's CRDs) would refuse, and takes int-or-string either way. */
    @Test
    void schemaCheckRefusesUnknownFieldsAndWrongTypes() {
        ManifestSchemas schemas = ManifestSchemas.get();
        List<ObjectNode> objects = Kustomization.render(K8S.resolve("overlays/dev"));

        ObjectNode worker = Kustomization.find(objects, "Deployment", "fleet-worker").deepCopy();
        assertThat(schemas.validate(worker)).isEmpty();
        ((ObjectNode) worker.at("/spec/template/spec/containers/0/startupProbe/httpGet")).put("port", 9001);
        assertThat(schemas.validate(worker)).as("a probe port by number").isEmpty();
        ((ObjectNode) worker.at("/spec/template/spec")).put("terminationGracePeriodSecond", 120);
        ((ObjectNode) worker.at("/spec/template/spec/containers/0/ports/0")).put("containerPort", "8081");
        assertThat(schemas.validate(worker)).anyMatch(p -> p.contains("terminationGracePeriodSecond")).anyMatch(p -> p.contains("containerPort"));

        ObjectNode monitor = Kustomization.find(objects, "PodMonitor", "fleet").deepCopy();
        ((ObjectNode) monitor.at("/spec/podMetricsEndpoints/0")).put("intervall", "15s");
        assertThat(schemas.validate(monitor)).anyMatch(p -> p.contains("intervall"));

        ObjectNode behavior = Kustomization.find(objects, "ScaledObject", "fleet-worker").at("/spec/advanced/horizontalPodAutoscalerConfig/behavior").deepCopy();
        ((ObjectNode) behavior.path("scaleDown")).put("stabilisationWindowSeconds", 60);
        assertThat(schemas.validate("io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerBehavior", behavior, "behavior"))
                .anyMatch(p -> p.contains("stabilisationWindowSeconds"));

        if (schemas.strimziUnavailable() == null) {
            ObjectNode topic = Kustomization.find(objects, "KafkaTopic", "fleet-tasks").deepCopy();
            ((ObjectNode) topic.path("spec")).put("partition", 3);
            assertThat(schemas.validate(topic)).anyMatch(p -> p.contains("partition"));
            ObjectNode user = Kustomization.find(objects, "KafkaUser", "fleet-worker").deepCopy();
            ObjectNode acl = (ObjectNode) user.at("/spec/authorization/acls/0");
            acl.put("operation", "Read").remove("operations"); // v1beta2's singular form, gone in v1
            assertThat(schemas.validate(user)).anyMatch(p -> p.contains("operations"));
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
        checkNamespaceAndLabels(objects, problems);
        for (ObjectNode deployment : ofKind(objects, "Deployment")) {
            checkDeployment(deployment, keys, problems);
        }
        for (ObjectNode service : ofKind(objects, "Service")) {
            checkService(service, objects, problems);
        }
        checkKafka(objects, keys, problems);
        checkWorkerScaling(objects, keys, problems);
        checkWorkerPod(objects, problems);
        checkPodMonitor(objects, problems);
        AccessChecks.check(objects, problems);
        checkReferencesOfOperatorObjects(objects, keys, problems);
        assertThat(problems).as(overlay).isEmpty();
    }

    /**
     * Workers on another cluster ({@code overlays/remote-workers}): the worker Deployment, its scaling and configuration,
     * every Secret they name (copies of the fleet cluster's), and nothing of the rest of the fleet.
     */
    @Test
    void remoteWorkersOverlayHoldsTheWorkersAndWhatTheyNeed() throws Exception {
        List<ObjectNode> own = Kustomization.render(K8S.resolve("overlays/remote-workers"));
        Optional<List<ObjectNode>> kubectl = renderWithKubectl("remote-workers");
        if (kubectl.isPresent()) {
            assertThat(normalized(kubectl.get())).as("kubectl kustomize and this test's renderer agree on remote-workers").isEqualTo(normalized(own));
        }
        for (List<ObjectNode> objects : kubectl.isPresent() ? List.of(own, kubectl.get()) : List.of(own)) {
            List<String> problems = new ArrayList<>();
            Map<String, Set<String>> keys = existingObjects(objects);
            Set<String> kinds = new TreeSet<>();
            objects.forEach(o -> kinds.add(kind(o)));
            assertThat(kinds).containsExactlyInAnyOrder("Namespace", "ConfigMap", "Secret", "Deployment", "ScaledObject", "TriggerAuthentication",
                    "NetworkPolicy");
            assertThat(ofKind(objects, "Deployment")).extracting(DeployManifestsTest::name).containsExactly("fleet-worker");
            checkNamespaceAndLabels(objects, problems);
            checkDeployment(Kustomization.find(objects, "Deployment", "fleet-worker"), keys, problems);
            checkWorkerScaling(objects, keys, problems);
            checkWorkerPod(objects, problems);
            AccessChecks.checkNetworkPolicies(objects, problems);
            checkReferencesOfOperatorObjects(objects, keys, problems);
            String jaasSecret = "";
            for (JsonNode e : container(Kustomization.find(objects, "Deployment", "fleet-worker").path("spec").path("template").path("spec"), "worker")
                    .path("env")) {
                if (e.path("name").asText().equals("KAFKA_SASL_JAAS_CONFIG")) {
                    jaasSecret = e.path("valueFrom").path("secretKeyRef").path("name").asText();
                }
            }
            if (!jaasSecret.equals("fleet-worker")) {
                problems.add("the worker's KAFKA_SASL_JAAS_CONFIG must come from the copy of its KafkaUser's Secret fleet-worker");
            }
            assertThat(problems).as("remote-workers").isEmpty();
        }
    }

    private static void checkNamespaceAndLabels(List<ObjectNode> objects, List<String> problems) {
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
    }

    /** Names the operators' objects refer to: the TriggerAuthentication's Secrets, the ExternalSecrets' store, the services' Kafka. */
    private static void checkReferencesOfOperatorObjects(List<ObjectNode> objects, Map<String, Set<String>> keys, List<String> problems) {
        for (ObjectNode auth : ofKind(objects, "TriggerAuthentication")) {
            auth.path("spec").path("secretTargetRef").forEach(ref -> requireKey(keys, "Secret/" + ref.path("name").asText(),
                    ref.path("key").asText(), "TriggerAuthentication/" + name(auth), problems));
        }
        for (ObjectNode external : ofKind(objects, "ExternalSecret")) {
            JsonNode store = external.path("spec").path("secretStoreRef");
            requireExists(keys, store.path("kind").asText() + "/" + store.path("name").asText(), "ExternalSecret/" + name(external), problems);
        }
        for (ObjectNode config : ofKind(objects, "ConfigMap")) {
            // Hosts the services connect to must be Services of the fleet (where its Kafka is in the rendering).
            String bootstrap = config.path("data").path("KAFKA_BOOTSTRAP_SERVERS").asText();
            if (!bootstrap.isEmpty() && !ofKind(objects, "Kafka").isEmpty()) {
                requireExists(keys, "Service/" + bootstrap.split(":")[0], "ConfigMap/" + name(config) + " KAFKA_BOOTSTRAP_SERVERS", problems);
            }
        }
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
            Set<String> ports = new HashSet<>();
            container.path("ports").forEach(p -> ports.add(p.path("name").asText()));
            if (!ports.contains("http") || !ports.contains("management")) {
                problems.add(where + ": needs ports named http and management");
            }
            // Health answers on the management port only (quarkus.management.enabled).
            for (String[] probe : List.of(new String[] {"startupProbe", "/q/health/started"}, new String[] {"livenessProbe", "/q/health/live"},
                    new String[] {"readinessProbe", "/q/health/ready"})) {
                JsonNode get = container.path(probe[0]).path("httpGet");
                if (!get.path("path").asText().equals(probe[1]) || !get.path("port").asText().equals("management")) {
                    problems.add(where + ": " + probe[0] + " must GET " + probe[1] + " on port management");
                }
            }
        }
        for (JsonNode container : allContainers(spec)) {
            String where = id + " container " + container.path("name").asText();
            if (!container.path("image").asText().matches("[^:]+:[\\w.-]+")) {
                problems.add(where + ": image needs a tag: " + container.path("image").asText());
            }
            if (!container.path("resources").path("requests").has("memory")) {
                problems.add(where + ": no memory request");
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
        // Consumers on Kafka 4's consumer group protocol (KIP-848) need brokers of 4.0 or newer.
        Set<String> newProtocol = new TreeSet<>();
        for (String module : AccessChecks.MODULES.values()) {
            if ("consumer".equals(AccessChecks.properties(module).getProperty("mp.messaging.connector.smallrye-kafka.group.protocol"))) {
                newProtocol.add(module);
            }
        }
        for (ObjectNode kafka : ofKind(objects, "Kafka")) {
            String version = kafka.path("spec").path("kafka").path("version").asText("0");
            if (!newProtocol.isEmpty() && Integer.parseInt(version.split("\\.")[0]) < 4) {
                problems.add("Kafka/" + name(kafka) + ": version " + version + " has no consumer group protocol (group.protocol=consumer), which "
                        + newProtocol + " use");
            }
        }
    }

    /** The {@code <topic>.dlq} topics the services' consumers write (every topic a group consumes, see Topics.CONSUMED). */
    static Set<String> deadLetterTopics() {
        Set<String> topics = new TreeSet<>();
        Topics.CONSUMED.forEach(topic -> topics.add(Topics.dlq(topic)));
        return topics;
    }

    /**
     * What scale-in needs: KEDA adds a worker per {@code lagThreshold} tasks (= the worker's slots) up to the partitions
     * of fleet.tasks, and removes workers one at a time, slowly enough that each drains; the pod's grace period covers
     * the drain the manifest sets plus the worker's hand-back, and nothing delays the worker's SIGTERM.
     */
    private static void checkWorkerScaling(List<ObjectNode> objects, Map<String, Set<String>> keys, List<String> problems) {
        String where = "ScaledObject/fleet-worker";
        ObjectNode scaled = Kustomization.find(objects, "ScaledObject", "fleet-worker");
        JsonNode spec = scaled.path("spec");
        requireExists(keys, "Deployment/" + spec.path("scaleTargetRef").path("name").asText(), where, problems);
        JsonNode trigger = spec.path("triggers").get(0).path("metadata");
        assertThat(spec.path("triggers").get(0).path("type").asText()).isEqualTo("kafka");
        assertThat(trigger.path("topic").asText()).isEqualTo(Topics.TASKS);
        assertThat(trigger.path("consumerGroup").asText()).isEqualTo(Topics.WORKERS_GROUP);
        if (!ofKind(objects, "Kafka").isEmpty()) {
            requireExists(keys, "Service/" + trigger.path("bootstrapServers").asText().split(":")[0], where, problems);
        }
        // KEDA reads the lag from the broker the workers consume from.
        ofKind(objects, "ConfigMap").stream().map(c -> c.path("data").path("KAFKA_BOOTSTRAP_SERVERS").asText()).filter(b -> !b.isEmpty())
                .filter(b -> !b.equals(trigger.path("bootstrapServers").asText())).forEach(b -> problems.add(where + ": bootstrapServers "
                        + trigger.path("bootstrapServers").asText() + " is not the workers' KAFKA_BOOTSTRAP_SERVERS " + b));
        trigger.properties().forEach(e -> {
            if (!e.getValue().isTextual()) {
                problems.add(where + ": trigger metadata " + e.getKey() + " must be a string (KEDA reads a map of strings)");
            }
        });
        // The topic is in the fleet's rendering (workers on another cluster split its partitions with the fleet's own).
        int partitions = ofKind(objects, "KafkaTopic").stream().filter(t -> t.path("spec").path("topicName").asText().equals(Topics.TASKS))
                .findFirst().map(t -> t.path("spec").path("partitions").asInt()).orElse(Integer.MAX_VALUE);
        if (spec.path("maxReplicaCount").asInt() > partitions) {
            problems.add(where + ": maxReplicaCount " + spec.path("maxReplicaCount") + " is above the " + Topics.TASKS
                    + " partitions " + partitions + ": a worker beyond them gets no partition");
        }
        if (spec.path("minReplicaCount").asInt() < 1 || spec.path("minReplicaCount").asInt() > spec.path("maxReplicaCount").asInt()) {
            problems.add(where + ": minReplicaCount must be within 1..maxReplicaCount");
        }

        ObjectNode deployment = Kustomization.find(objects, "Deployment", "fleet-worker");
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode worker = container(pod, "worker");
        Map<String, String> env = env(worker);
        if (deployment.path("spec").has("replicas")) {
            problems.add("Deployment/fleet-worker: spec.replicas would reset KEDA's count on every apply; leave it out");
        }
        if (!env.getOrDefault("FLEET_WORKER_SLOTS", "?").equals(trigger.path("lagThreshold").asText())) {
            problems.add(where + ": lagThreshold " + trigger.path("lagThreshold") + " must equal the worker's FLEET_WORKER_SLOTS "
                    + env.get("FLEET_WORKER_SLOTS") + ": one pod per that many waiting or running tasks");
        }
        // Scale-in: SIGTERM → drain (FLEET_WORKER_DRAIN_TIMEOUT) → hand-back (Drain.HAND_BACK) → exit, within the grace period.
        Duration drain = env.containsKey("FLEET_WORKER_DRAIN_TIMEOUT") ? duration(env.get("FLEET_WORKER_DRAIN_TIMEOUT")) : null;
        if (drain == null) {
            problems.add("Deployment/fleet-worker: set FLEET_WORKER_DRAIN_TIMEOUT, so the grace period can be checked against it");
            return;
        }
        Duration handBack = workerHandBack();
        long grace = pod.path("terminationGracePeriodSeconds").asLong(30);
        long needed = drain.plus(handBack).getSeconds() + SHUTDOWN_MARGIN_SECONDS;
        if (grace < needed) {
            problems.add("Deployment/fleet-worker: terminationGracePeriodSeconds " + grace + " must cover the drain (" + drain.getSeconds()
                    + " s), the hand-back (" + handBack.getSeconds() + " s) and " + SHUTDOWN_MARGIN_SECONDS + " s to close: at least " + needed);
        }
        Duration shutdown = duration(AccessChecks.properties("worker-service").getProperty("quarkus.shutdown.timeout", "0s"));
        if (shutdown.compareTo(drain.plus(handBack)) < 0) {
            problems.add("Deployment/fleet-worker: FLEET_WORKER_DRAIN_TIMEOUT " + drain + " plus the hand-back " + handBack
                    + " exceeds the worker's quarkus.shutdown.timeout " + shutdown);
        }
        if (worker.path("lifecycle").has("preStop")) {
            problems.add("Deployment/fleet-worker: no preStop on the worker: it drains on SIGTERM, and a preStop only eats the grace period");
        }
        if (spec.path("cooldownPeriod").asLong(300) < grace) {
            problems.add(where + ": cooldownPeriod " + spec.path("cooldownPeriod").asLong(300) + " below the workers' grace period " + grace);
        }
        JsonNode behavior = spec.path("advanced").path("horizontalPodAutoscalerConfig").path("behavior");
        problems.addAll(ManifestSchemas.get().validate("io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerBehavior", behavior,
                where + " advanced.horizontalPodAutoscalerConfig.behavior"));
        JsonNode scaleDown = behavior.path("scaleDown");
        List<Boolean> gradual = new ArrayList<>();
        scaleDown.path("policies").forEach(policy -> gradual.add(policy.path("type").asText().equals("Pods") && policy.path("value").asInt() == 1
                && policy.path("periodSeconds").asLong() >= grace));
        String select = scaleDown.path("selectPolicy").asText("Max");
        boolean oneAtATime = select.equals("Disabled") || (select.equals("Min") ? gradual.contains(true) : !gradual.isEmpty() && !gradual.contains(false));
        if (!oneAtATime) {
            problems.add(where + ": behavior.scaleDown must remove at most one worker per " + grace
                    + " s (a policy {type: Pods, value: 1, periodSeconds >= terminationGracePeriodSeconds}), so one drains at a time");
        }
    }

    /** Extra time a worker takes after the hand-back to close its Kafka clients and let the agent container stop. */
    static final long SHUTDOWN_MARGIN_SECONDS = 10;
    private static final Pattern HAND_BACK = Pattern.compile("HAND_BACK\\s*=\\s*Duration\\.ofSeconds\\((\\d+)\\)");

    /** How long the worker gives aborted attempts to report back after the drain timeout (Drain.HAND_BACK in worker-service). */
    static Duration workerHandBack() {
        Path drain = ROOT.resolve("worker-service/src/main/java/io/opencodefleet/worker/task/Drain.java");
        try {
            java.util.regex.Matcher matcher = HAND_BACK.matcher(Files.readString(drain));
            if (!matcher.find()) {
                throw new AssertionError(drain + ": no HAND_BACK = Duration.ofSeconds(n): how long does the hand-back take now?");
            }
            return Duration.ofSeconds(Long.parseLong(matcher.group(1)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The worker pod's layout: the agent ({@code opencode serve}) in a container of its own that holds only the model
     * credentials and the working tree, as a native sidecar so it outlives the worker's drain; the worker attached to it
     * on the pod's loopback with a password, one slot per pod; the agent's view of the slot directories at the worker's
     * path; and the agent configured as the worker configures a server it starts itself.
     */
    private static void checkWorkerPod(List<ObjectNode> objects, List<String> problems) throws IOException {
        String where = "Deployment/fleet-worker";
        JsonNode pod = Kustomization.find(objects, "Deployment", "fleet-worker").path("spec").path("template").path("spec");
        JsonNode worker = container(pod, "worker");
        JsonNode agent = null;
        for (JsonNode init : pod.path("initContainers")) {
            if (init.path("name").asText().equals("agent")) {
                agent = init;
            }
        }
        if (agent == null) {
            problems.add(where + ": no init container agent (the OpenCode server, a native sidecar)");
            return;
        }
        if (!agent.path("restartPolicy").asText().equals("Always")) {
            problems.add(where + " agent: restartPolicy Always (a native sidecar) keeps it running until the worker has drained");
        }
        if (pod.path("automountServiceAccountToken").asBoolean(true)) {
            problems.add(where + ": automountServiceAccountToken false: the agent must find no Kubernetes token");
        }
        Map<String, String> env = env(worker);
        URI url = URI.create(env.getOrDefault("FLEET_OPENCODE_URL", "http://missing:0"));
        String command = String.join(" ", texts(agent.path("command"))) + " " + String.join(" ", texts(agent.path("args")));
        if (!Set.of("127.0.0.1", "localhost").contains(url.getHost()) || !command.contains("--port " + url.getPort())
                || !command.contains("--hostname 127.0.0.1")) {
            problems.add(where + ": the worker's FLEET_OPENCODE_URL " + url + " must be the agent's `opencode serve --hostname 127.0.0.1 --port`: " + command);
        }
        if (!command.contains("OPENCODE_SERVER_PASSWORD") || !(env.containsKey("FLEET_OPENCODE_PASSWORD") || env.containsKey("QUARKUS_CONFIG_LOCATIONS"))) {
            problems.add(where + ": the agent serves with OPENCODE_SERVER_PASSWORD and the worker gets it (FLEET_OPENCODE_PASSWORD or a config file)");
        }
        if (!env.getOrDefault("FLEET_WORKER_SLOTS", "").equals("1")) {
            problems.add(where + ": FLEET_WORKER_SLOTS must be 1: every slot would share the one agent, and its tasks each other's trees");
        }
        // OpenCode works in the worker's slot directories (FLEET_WORKER_WORK_DIR/slot-n): same volume, same path in both.
        String workDir = env.getOrDefault("FLEET_WORKER_WORK_DIR", "");
        JsonNode workerMount = mountHolding(worker, workDir);
        JsonNode agentMount = workerMount == null ? null : mountHolding(agent, workDir);
        if (workerMount == null || agentMount == null || !agentMount.path("name").equals(workerMount.path("name"))
                || !agentMount.path("mountPath").equals(workerMount.path("mountPath")) || agentMount.path("readOnly").asBoolean(false)) {
            problems.add(where + ": the worker's FLEET_WORKER_WORK_DIR " + workDir + " must be on a volume the agent mounts, writable, at the same path");
        }
        // The agent holds the model credentials and nothing else of the fleet's; the worker needs none of them.
        Set<String> secretVolumes = new HashSet<>();
        pod.path("volumes").forEach(v -> {
            if (v.has("secret")) {
                secretVolumes.add(v.path("name").asText());
            }
        });
        agent.path("volumeMounts").forEach(m -> {
            if (secretVolumes.contains(m.path("name").asText())) {
                problems.add(where + " agent: mounts the Secret volume " + m.path("name").asText() + ": the agent gets no fleet secrets");
            }
        });
        agent.path("env").forEach(e -> {
            if (e.path("valueFrom").has("secretKeyRef") || e.path("name").asText().startsWith("KAFKA_") || e.path("name").asText().startsWith("GIT_")) {
                problems.add(where + " agent: " + e.path("name").asText() + " is for the worker only");
            }
        });
        agent.path("envFrom").forEach(f -> {
            if (f.has("secretRef") && !unhashed(f.path("secretRef").path("name").asText()).equals(MODEL_CREDENTIALS)) {
                problems.add(where + " agent: envFrom " + f + ": the agent gets only " + MODEL_CREDENTIALS);
            }
        });
        worker.path("envFrom").forEach(f -> {
            if (unhashed(f.path("secretRef").path("name").asText()).equals(MODEL_CREDENTIALS)) {
                problems.add(where + " worker: the model credentials are the agent's only");
            }
        });
        // The agent runs with what the worker gives a server of its own.
        JsonNode ref = null;
        for (JsonNode e : agent.path("env")) {
            if (e.path("name").asText().equals("OPENCODE_CONFIG_CONTENT")) {
                ref = e.path("valueFrom").path("configMapKeyRef");
            }
        }
        String name = ref == null ? "" : ref.path("name").asText();
        String key = ref == null ? "" : ref.path("key").asText();
        JsonNode configured = ofKind(objects, "ConfigMap").stream().filter(c -> name(c).equals(name)).findFirst()
                .map(c -> c.path("data").path(key)).filter(JsonNode::isTextual).map(t -> readJson(t.asText())).orElse(null);
        if (configured == null || !configured.equals(readJson(workerOpencodeConfig()))) {
            problems.add(where + " agent: OPENCODE_CONFIG_CONTENT must come from a ConfigMap key holding the settings and agents a worker gives"
                    + " every OpenCode server it starts itself (common's opencode/fleet.json and opencode/agents/): " + workerOpencodeConfig());
        }
    }

    static final String MODEL_CREDENTIALS = "fleet-model-credentials";

    /** A generated Secret's name without the hash kustomize appends. */
    private static String unhashed(String name) {
        return GENERATED_SUFFIX.matcher(name).replaceAll("$1");
    }

    /**
     * What a worker layers over the user's OpenCode configuration on every server it starts itself: the fleet's settings
     * and read-only agents ({@code OpencodeConfiguration.configContent} in common, from its opencode/ resources).
     */
    static String workerOpencodeConfig() {
        try {
            java.lang.reflect.Method content = Class.forName("io.opencodefleet.common.opencode.OpencodeConfiguration")
                    .getDeclaredMethod("configContent", String.class, String.class);
            content.setAccessible(true);
            return (String) content.invoke(null, null, null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("common's OpencodeConfiguration.configContent(userInline, settings) is gone: where do the fleet's own"
                    + " OpenCode servers get their settings and agents now? fleet-opencode-config's fleet-worker.json must hold the same", e);
        }
    }

    private static JsonNode readJson(String text) {
        try {
            return Kustomization.JSON_SORTED.readTree(text);
        } catch (IOException e) {
            return Kustomization.JSON_SORTED.createObjectNode().put("unreadable", e.getMessage());
        }
    }

    /** The container's volume mount at {@code path} or a parent of it. */
    private static JsonNode mountHolding(JsonNode container, String path) {
        for (JsonNode mount : container.path("volumeMounts")) {
            String at = mount.path("mountPath").asText();
            if (!path.isEmpty() && (path.equals(at) || path.startsWith(at.endsWith("/") ? at : at + "/"))) {
                return mount;
            }
        }
        return null;
    }

    static List<JsonNode> allContainers(JsonNode podSpec) {
        List<JsonNode> all = new ArrayList<>();
        podSpec.path("initContainers").forEach(all::add);
        podSpec.path("containers").forEach(all::add);
        return all;
    }

    /** The pod's container of that name (else its first). */
    static JsonNode container(JsonNode podSpec, String name) {
        for (JsonNode container : podSpec.path("containers")) {
            if (container.path("name").asText().equals(name)) {
                return container;
            }
        }
        return podSpec.path("containers").path(0);
    }

    /** A container's literal env values. */
    static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new java.util.TreeMap<>();
        container.path("env").forEach(e -> {
            if (e.has("value")) {
                env.put(e.path("name").asText(), e.path("value").asText());
            }
        });
        return env;
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(t -> texts.add(t.asText()));
        return texts;
    }

    /** A Quarkus duration: 60s, 500ms, 2m, 1h, PT60S, or plain seconds. */
    static Duration duration(String text) {
        String value = text.trim();
        if (value.toUpperCase().startsWith("P")) {
            return Duration.parse(value.toUpperCase());
        }
        java.util.regex.Matcher matcher = Pattern.compile("(\\d+)(ms|s|m|h|d)?").matcher(value.toLowerCase());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        long amount = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2) == null ? "s" : matcher.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
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
            if (!endpoint.path("port").asText().equals("management") || !endpoint.path("path").asText().equals("/q/metrics")) {
                problems.add("PodMonitor endpoint must scrape port management at /q/metrics: " + endpoint);
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
                case "Kafka" -> { // Strimzi
                    existing.put("Service/" + name(o) + "-kafka-bootstrap", Set.of());
                    existing.put("Secret/" + name(o) + "-cluster-ca-cert", Set.of("ca.crt", "ca.p12", "ca.password"));
                }
                case "KafkaUser" -> existing.put("Secret/" + name(o), Set.of("password", "sasl.jaas.config")); // Strimzi's User Operator
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
