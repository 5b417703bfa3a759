package io.opencodefleet.e2e.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * Offline schema validation of rendered manifests, the way {@code kubeconform -strict} does it, from artifacts of
 * Maven Central only (e2e/pom.xml copies them to {@code e2e/target/k8s-schemas}):
 * <ul>
 * <li>Kubernetes' own kinds (Deployment, Service, ConfigMap, Secret, Namespace, NetworkPolicy, PodDisruptionBudget,
 * …) and the Prometheus Operator's {@code monitoring.coreos.com/v1} kinds (PodMonitor, PrometheusRule): the OpenAPI
 * definitions that fabric8's {@code kubernetes-model-validator} ships ({@code openshift-generated.json}, Kubernetes
 * 1.34 plus OpenShift's monitoring API).</li>
 * <li>Strimzi's {@code kafka.strimzi.io/v1} kinds: the CRDs as Strimzi itself makes them, by running its
 * {@code crd-generator} on its {@code api} jar (both built for Java 21, so a JDK 21 or newer runs them in a process
 * of their own; {@link #strimziUnavailable()} says why when none is found).</li>
 * </ul>
 * Like the API server's strict field validation, an object may hold only the fields its schema names (unless the
 * schema preserves unknown fields), and int-or-string and quantity fields take numbers or strings.
 * <p>
 * No artifact of Maven Central or npm carries the CRD schemas of KEDA ({@code ScaledObject},
 * {@code TriggerAuthentication}), CloudNativePG ({@code Cluster}) or the External Secrets Operator
 * ({@code ExternalSecret}) as schemas (they ship them in Go modules and GitHub releases; npm's
 * {@code @kubernetes-models/*} ship compiled validators that accept unknown fields): those kinds get
 * {@link DeployManifestsTest}'s structural checks, and the ScaledObject's HPA behaviour is checked against Kubernetes'
 * {@code autoscaling/v2} schema ({@link #validate(String, JsonNode, String)}).
 */
final class ManifestSchemas {

    static final Path DIR = DeployManifestsTest.ROOT.resolve("e2e/target/k8s-schemas");
    /** Kinds no offline artifact has a schema for: "apiVersion kind". */
    static final List<String> WITHOUT_SCHEMA = List.of("keda.sh/v1alpha1 ScaledObject", "keda.sh/v1alpha1 TriggerAuthentication",
            "postgresql.cnpg.io/v1 Cluster", "external-secrets.io/v1 ExternalSecret");
    static final String STRIMZI_GROUP = "kafka.strimzi.io";
    /** Strimzi kinds whose CRD is made here, and the api class each comes from. */
    private static final Map<String, String> STRIMZI_KINDS = Map.of(
            "Kafka", "io.strimzi.api.kafka.model.kafka.Kafka",
            "KafkaNodePool", "io.strimzi.api.kafka.model.nodepool.KafkaNodePool",
            "KafkaTopic", "io.strimzi.api.kafka.model.topic.KafkaTopic",
            "KafkaUser", "io.strimzi.api.kafka.model.user.KafkaUser");
    private static final String KUBERNETES_IRI = "https://schemas.opencode-fleet.invalid/kubernetes.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ManifestSchemas instance;

    private final SchemaRegistry registry;
    private final JsonNode kubernetes;
    /** "apiVersion kind" → the CRD's schema (Strimzi). */
    private final Map<String, Schema> crds = new HashMap<>();
    private final Map<String, Schema> definitions = new HashMap<>();
    private final String strimziUnavailable;

    private ManifestSchemas() throws IOException, InterruptedException {
        kubernetes = strict(readKubernetesDefinitions());
        Map<String, String> documents = new HashMap<>();
        documents.put(KUBERNETES_IRI, JSON.writeValueAsString(kubernetes));
        registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4, builder -> builder
                .schemas(documents)
                .schemaLoader(loader -> loader.fetchRemoteResources(false))
                .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(false).build()));
        String unavailable = null;
        Optional<Path> javaBinary = javaForStrimzi();
        if (javaBinary.isEmpty()) {
            unavailable = "no JDK 21 or newer found (java.home, JAVA_HOME, /usr/lib/jvm) to run Strimzi's crd-generator";
        } else {
            for (Map.Entry<String, Path> crd : strimziCrds(javaBinary.get()).entrySet()) {
                JsonNode document = Kustomization.readAll(crd.getValue()).get(0);
                for (JsonNode version : document.path("spec").path("versions")) {
                    if (version.path("served").asBoolean(false)) {
                        String type = document.path("spec").path("group").asText() + "/" + version.path("name").asText() + " "
                                + document.path("spec").path("names").path("kind").asText();
                        crds.put(type, registry.getSchema(SchemaLocation.of("https://schemas.opencode-fleet.invalid/" + crd.getKey() + "/"
                                + version.path("name").asText() + ".json"), strict(version.path("schema").path("openAPIV3Schema").deepCopy())));
                    }
                }
            }
        }
        strimziUnavailable = unavailable;
    }

    static synchronized ManifestSchemas get() {
        if (instance == null) {
            try {
                instance = new ManifestSchemas();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return instance;
    }

    /** Why the Strimzi kinds are not checked against their CRDs here, or null when they are. */
    String strimziUnavailable() {
        return strimziUnavailable;
    }

    /** Whether {@link #validate(ObjectNode)} checks objects of this apiVersion and kind. */
    boolean covers(String apiVersion, String kind) {
        return crds.containsKey(apiVersion + " " + kind) || kubernetes.path("definitions").has(definitionName(apiVersion, kind));
    }

    /** What is wrong with an object by its kind's schema ("Kind/name: /json/pointer: message"); nothing for a kind it does not cover. */
    List<String> validate(ObjectNode object) {
        String apiVersion = object.path("apiVersion").asText();
        String kind = object.path("kind").asText();
        String where = kind + "/" + object.path("metadata").path("name").asText();
        Schema schema = crds.get(apiVersion + " " + kind);
        if (schema == null) {
            String definition = definitionName(apiVersion, kind);
            if (!kubernetes.path("definitions").has(definition)) {
                return List.of();
            }
            return validate(definition, object, where);
        }
        return messages(schema.validate(object), where);
    }

    /** What is wrong with {@code value} by the Kubernetes definition {@code definition} (e.g. io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerBehavior). */
    List<String> validate(String definition, JsonNode value, String where) {
        if (!kubernetes.path("definitions").has(definition)) {
            throw new IllegalArgumentException("no Kubernetes definition " + definition);
        }
        Schema schema = definitions.computeIfAbsent(definition,
                d -> registry.getSchema(SchemaLocation.of(KUBERNETES_IRI + "#/definitions/" + d)));
        return messages(schema.validate(value), where);
    }

    private static List<String> messages(List<Error> errors, String where) {
        List<String> messages = new ArrayList<>();
        for (Error error : errors) {
            messages.add(where + ": " + error);
        }
        return messages;
    }

    /** The OpenAPI definition of a Kubernetes kind: v1 → io.k8s.api.core.v1, apps/v1 → io.k8s.api.apps.v1, networking.k8s.io/v1 → io.k8s.api.networking.v1, monitoring.coreos.com/v1 → com.coreos.monitoring.v1. */
    static String definitionName(String apiVersion, String kind) {
        int slash = apiVersion.indexOf('/');
        if (slash < 0) {
            return "io.k8s.api.core." + apiVersion + "." + kind;
        }
        String group = apiVersion.substring(0, slash);
        String version = apiVersion.substring(slash + 1);
        if (!group.contains(".")) {
            return "io.k8s.api." + group + "." + version + "." + kind;
        }
        if (group.endsWith(".k8s.io")) {
            return "io.k8s.api." + group.substring(0, group.length() - ".k8s.io".length()) + "." + version + "." + kind;
        }
        List<String> parts = new ArrayList<>(List.of(group.split("\\.")));
        java.util.Collections.reverse(parts);
        return String.join(".", parts) + "." + version + "." + kind;
    }

    // ----- Kubernetes: fabric8's copy of the OpenAPI definitions -----

    private static JsonNode readKubernetesDefinitions() throws IOException {
        Path jar = artifact("kubernetes-model-validator-");
        try (ZipFile zip = new ZipFile(jar.toFile()); InputStream in = zip.getInputStream(zip.getEntry("openshift-generated.json"))) {
            ObjectNode document = JSON.createObjectNode();
            document.set("definitions", JSON.readTree(in).path("definitions"));
            // Quantities are written as numbers or strings ("1", 1, 500m): the API server takes both.
            ((ObjectNode) document.path("definitions")).set("io.k8s.apimachinery.pkg.api.resource.Quantity", intOrString("number"));
            return document;
        }
    }

    // ----- Strimzi: the CRDs, made by Strimzi's own generator -----

    private static Map<String, Path> strimziCrds(Path javaBinary) throws IOException, InterruptedException {
        Path api = artifact("api-");
        Path generator = artifact("crd-generator-");
        Path out = DIR.resolve("strimzi-crds");
        Map<String, Path> files = new LinkedHashMap<>();
        List<String> command = new ArrayList<>(List.of(javaBinary.toString(), "-cp", generator + java.io.File.pathSeparator + api,
                "io.strimzi.crdgenerator.CrdGenerator", "--yaml", "--crd-api-version", "v1", "--api-versions", "v1", "--storage-version", "v1"));
        boolean current = true;
        for (Map.Entry<String, String> kind : STRIMZI_KINDS.entrySet()) {
            Path file = out.resolve(kind.getKey().toLowerCase() + ".yaml");
            files.put(kind.getKey().toLowerCase(), file);
            command.add(kind.getValue() + "=" + file);
            current &= Files.exists(file) && Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(api)) > 0;
        }
        if (!current) {
            Files.createDirectories(out);
            Path log = out.resolve("crd-generator.log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!process.waitFor(180, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("Strimzi's crd-generator failed: " + String.join(" ", command) + "\n" + Files.readString(log));
            }
        }
        return files;
    }

    /** A JDK that runs Java 21 class files: this test's own, JAVA_HOME, or one under /usr/lib/jvm. */
    static Optional<Path> javaForStrimzi() {
        List<Path> homes = new ArrayList<>();
        homes.add(Path.of(System.getProperty("java.home")));
        Optional.ofNullable(System.getenv("JAVA_HOME")).map(Path::of).ifPresent(homes::add);
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> installed = Files.list(jvms)) {
                installed.sorted().forEach(homes::add);
            } catch (IOException e) {
                // none there
            }
        }
        for (Path home : homes) {
            Path binary = home.resolve("bin/java");
            if (Files.isExecutable(binary) && majorVersion(home) >= 21) {
                return Optional.of(binary);
            }
        }
        return Optional.empty();
    }

    private static int majorVersion(Path home) {
        Properties release = new Properties();
        try (InputStream in = Files.newInputStream(home.resolve("release"))) {
            release.load(in);
            String version = release.getProperty("JAVA_VERSION", "\"0\"").replace("\"", "");
            return Integer.parseInt(version.split("[.+-]")[0]);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static Path artifact(String prefix) throws IOException {
        if (!Files.isDirectory(DIR)) {
            throw new IllegalStateException(DIR + " is missing: the e2e build copies the schema artifacts there (maven-dependency-plugin in e2e/pom.xml)");
        }
        try (Stream<Path> files = Files.list(DIR)) {
            return files.filter(f -> f.getFileName().toString().matches(java.util.regex.Pattern.quote(prefix) + "\\d.*\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + prefix + "*.jar in " + DIR));
        }
    }

    // ----- strictness -----

    /**
     * The schema as {@code kubectl --validate=strict} applies it: every object schema with properties admits only
     * those (unless it preserves unknown fields or says otherwise), and int-or-string takes either.
     */
    static JsonNode strict(JsonNode schema) {
        if (schema instanceof ObjectNode node) {
            if (node.path("x-kubernetes-int-or-string").asBoolean(false) || "int-or-string".equals(node.path("format").asText(null))) {
                node.remove(List.of("type", "format", "anyOf", "oneOf"));
                node.set("anyOf", intOrString("integer").path("anyOf"));
            }
            if ("object".equals(node.path("type").asText(null)) && node.path("properties").isObject() && !node.has("additionalProperties")
                    && !node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                node.put("additionalProperties", false);
            }
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                strict(field.getValue());
            }
        } else if (schema instanceof ArrayNode array) {
            array.forEach(ManifestSchemas::strict);
        }
        return schema;
    }

    private static ObjectNode intOrString(String numberType) {
        ObjectNode node = JSON.createObjectNode();
        node.putArray("anyOf").add(JSON.createObjectNode().put("type", "string")).add(JSON.createObjectNode().put("type", numberType));
        return node;
    }
}
