package io.opencodefleet.e2e.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.devstack.kafka.KafkaAccess;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.resource.PatternType;

/**
 * Who may reach and do what in a rendered overlay: each service's Kafka user grants exactly what its channels (and
 * the planner's outbox and admin client) use, derived from the services' own configuration and code; every Deployment
 * connects with its user's Secret over the cluster's TLS listener; health and metrics answer on the management port
 * only; and the NetworkPolicies let in only what the fleet needs.
 */
final class AccessChecks {

    static final Path ROOT = DeployManifestsTest.ROOT;
    /** Deployment (= its KafkaUser) → module. */
    static final Map<String, String> MODULES = Map.of("fleet-planner", "planner-service", "fleet-worker", "worker-service",
            "fleet-reviewer", "reviewer-service");
    static final String SUBMITTER = KafkaAccess.SUBMITTER;
    static final String KEDA = "fleet-keda";
    static final String MONITORING = "monitoring";
    private static final Pattern OUTBOX_PUBLISH = Pattern.compile("\\.publish\\(\\s*Topics\\.(\\w+)");
    private static final Pattern GROUP_CONSTANT = Pattern.compile("Topics\\.(\\w+_GROUP)\\b");
    private static final Pattern CHANNEL = Pattern.compile("mp\\.messaging\\.(incoming|outgoing)\\.([\\w-]+)\\.topic");
    private static final Pattern DEFAULT_PORT = Pattern.compile("\\$\\{(\\w+):(\\d+)}");

    private AccessChecks() {
    }

    static void check(List<ObjectNode> objects, List<String> problems) {
        checkKafkaCluster(objects, problems);
        checkKafkaUsers(objects, problems);
        for (ObjectNode deployment : ofKind(objects, "Deployment")) {
            checkServiceContainer(deployment, objects, problems);
        }
        checkNetworkPolicies(objects, problems);
    }

    // ----- Kafka: the listener, the users and their ACLs -----

    private static void checkKafkaCluster(List<ObjectNode> objects, List<String> problems) {
        for (ObjectNode kafka : ofKind(objects, "Kafka")) {
            JsonNode spec = kafka.path("spec");
            if (!spec.path("kafka").path("authorization").path("type").asText().equals("simple")) {
                problems.add("Kafka/" + name(kafka) + ": authorization type simple needed (deny what no ACL allows)");
            }
            if (!spec.path("entityOperator").has("userOperator")) {
                problems.add("Kafka/" + name(kafka) + ": no userOperator, so no KafkaUser gets its credentials");
            }
            for (JsonNode listener : spec.path("kafka").path("listeners")) {
                String where = "Kafka/" + name(kafka) + " listener " + listener.path("name").asText();
                if (!Set.of("scram-sha-512", "tls").contains(listener.path("authentication").path("type").asText())) {
                    problems.add(where + ": needs authentication scram-sha-512 or tls");
                }
                if (!listener.path("tls").asBoolean()) {
                    problems.add(where + ": needs tls (SCRAM authenticates, TLS keeps missions and results private on the wire)");
                }
                if (listener.path("networkPolicyPeers").isEmpty()) {
                    problems.add(where + ": networkPolicyPeers must name who may connect (the fleet's pods, KEDA)");
                }
            }
        }
        for (ObjectNode config : ofKind(objects, "ConfigMap")) {
            JsonNode data = config.path("data");
            String bootstrap = data.path("KAFKA_BOOTSTRAP_SERVERS").asText();
            if (bootstrap.isEmpty()) {
                continue;
            }
            JsonNode listener = listenerOnPort(objects, bootstrap);
            if (listener == null) {
                problems.add("ConfigMap/" + name(config) + ": KAFKA_BOOTSTRAP_SERVERS " + bootstrap + " is no Kafka listener's port");
                continue;
            }
            String protocol = listener.path("tls").asBoolean() ? "SASL_SSL" : "SASL_PLAINTEXT";
            if (!data.path("KAFKA_SECURITY_PROTOCOL").asText().equals(protocol)
                    || !data.path("KAFKA_SASL_MECHANISM").asText().equalsIgnoreCase(listener.path("authentication").path("type").asText())) {
                problems.add("ConfigMap/" + name(config) + ": KAFKA_SECURITY_PROTOCOL " + protocol + " and KAFKA_SASL_MECHANISM "
                        + listener.path("authentication").path("type").asText().toUpperCase() + " must match the listener");
            }
        }
    }

    private static JsonNode listenerOnPort(List<ObjectNode> objects, String bootstrap) {
        String[] hostPort = bootstrap.split(":");
        for (ObjectNode kafka : ofKind(objects, "Kafka")) {
            if (!hostPort[0].equals(name(kafka) + "-kafka-bootstrap")) {
                continue;
            }
            for (JsonNode listener : kafka.path("spec").path("kafka").path("listeners")) {
                if (listener.path("port").asText().equals(hostPort[1])) {
                    return listener;
                }
            }
        }
        return null;
    }

    private static void checkKafkaUsers(List<ObjectNode> objects, List<String> problems) {
        Map<String, Set<String>> declared = new TreeMap<>();
        for (ObjectNode user : ofKind(objects, "KafkaUser")) {
            String cluster = user.path("metadata").path("labels").path("strimzi.io/cluster").asText();
            if (ofKind(objects, "Kafka").stream().noneMatch(k -> name(k).equals(cluster))) {
                problems.add("KafkaUser/" + name(user) + ": label strimzi.io/cluster names no Kafka: " + cluster);
            }
            if (!user.path("spec").path("authentication").path("type").asText().equals("scram-sha-512")) {
                problems.add("KafkaUser/" + name(user) + ": authentication scram-sha-512 expected");
            }
            declared.put(name(user), declaredAcls(user));
        }
        Map<String, Set<String>> expected = new TreeMap<>();
        MODULES.forEach((user, module) -> expected.put(user, expectedAcls(module)));
        expected.put(SUBMITTER, grants("topic", Topics.MISSIONS, "literal", "Write", "Describe"));
        ObjectNode scaled = Kustomization.find(objects, "ScaledObject", "fleet-worker");
        JsonNode trigger = scaled.path("spec").path("triggers").get(0).path("metadata");
        Set<String> keda = new TreeSet<>(grants("topic", trigger.path("topic").asText(), "literal", "Describe"));
        keda.addAll(grants("group", trigger.path("consumerGroup").asText(), "literal", "Describe"));
        expected.put(KEDA, keda);
        if (!declared.keySet().equals(expected.keySet())) {
            problems.add("KafkaUsers " + declared.keySet() + " must be one per service, the submitter's and KEDA's: " + expected.keySet());
        }
        expected.forEach((user, acls) -> {
            Set<String> got = declared.getOrDefault(user, Set.of());
            if (!got.equals(acls)) {
                Set<String> extra = new TreeSet<>(got);
                extra.removeAll(acls);
                Set<String> missing = new TreeSet<>(acls);
                missing.removeAll(got);
                problems.add("KafkaUser/" + user + " must grant exactly what it uses; grants too much " + extra + ", lacks " + missing);
            }
        });
        // A local fleet with --kafka-auth reads the base's users.yaml (devstack's KafkaAccess): the overlay must grant the same.
        KafkaAccess local = KafkaAccess.fromProject(ROOT);
        for (String user : declared.keySet()) {
            Set<String> fromLocal = new TreeSet<>();
            for (AclBinding binding : local.acls(user)) {
                fromLocal.add(String.join("|", binding.pattern().resourceType().name().toLowerCase(), binding.pattern().name(),
                        binding.pattern().patternType() == PatternType.PREFIXED ? "prefix" : "literal",
                        camel(binding.entry().operation().name())));
            }
            if (!fromLocal.equals(declared.get(user))) {
                problems.add("KafkaUser/" + user + ": a local fleet (devstack KafkaAccess on " + KafkaAccess.MANIFESTS
                        + ") would grant " + fromLocal + ", the overlay " + declared.get(user));
            }
        }
        // KEDA authenticates too.
        String authentication = scaled.path("spec").path("triggers").get(0).path("authenticationRef").path("name").asText();
        if (authentication.isEmpty() || !trigger.path("sasl").asText().equals("scram_sha512") || !trigger.path("tls").asText().equals("enable")) {
            problems.add("ScaledObject/fleet-worker: needs sasl scram_sha512, tls enable and an authenticationRef");
        } else {
            JsonNode auth = Kustomization.find(objects, "TriggerAuthentication", authentication);
            Map<String, String> secrets = new TreeMap<>();
            auth.path("spec").path("secretTargetRef").forEach(r -> secrets.put(r.path("parameter").asText(), r.path("name").asText() + "/" + r.path("key").asText()));
            if (!secrets.getOrDefault("password", "").equals(KEDA + "/password") || !secrets.containsKey("username") || !secrets.containsKey("ca")) {
                problems.add("TriggerAuthentication/" + authentication + ": username, ca and the password of KafkaUser " + KEDA + " expected: " + secrets);
            }
            String usernameSecret = secrets.getOrDefault("username", "/").split("/")[0];
            ofKind(objects, "Secret").stream().filter(s -> name(s).equals(usernameSecret)).findFirst()
                    .map(s -> s.path("stringData").path("username").asText(KEDA))
                    .filter(u -> !u.equals(KEDA)).ifPresent(u -> problems.add("Secret/" + usernameSecret + ": username must be " + KEDA));
        }
    }

    /** "type|name|literal or prefix|Operation" of each ACL of a KafkaUser. */
    private static Set<String> declaredAcls(JsonNode user) {
        Set<String> acls = new TreeSet<>();
        for (JsonNode rule : user.path("spec").path("authorization").path("acls")) {
            JsonNode resource = rule.path("resource");
            List<String> operations = new ArrayList<>();
            rule.path("operations").forEach(o -> operations.add(o.asText()));
            if (rule.has("operation")) {
                operations.add(rule.path("operation").asText());
            }
            for (String operation : operations) {
                acls.add(String.join("|", resource.path("type").asText(), resource.path("name").asText(),
                        resource.path("patternType").asText("literal"), operation));
            }
        }
        return acls;
    }

    /**
     * What a service uses, from its {@code application.properties}: each incoming channel reads its topic in its
     * group (a group id ending in {@code ${...}} is a prefix) and writes the topic's dead-letter topic unless its failure
     * strategy ignores; each outgoing channel writes its topic. The planner also publishes what its code hands to the
     * outbox (any {@code .publish(Topics.X}: the outbox's or its writer's) and describes the groups its code names that it does not consume in.
     */
    static Set<String> expectedAcls(String module) {
        Properties properties = properties(module);
        Set<String> acls = new TreeSet<>();
        Set<String> ownGroups = new HashSet<>();
        for (String key : properties.stringPropertyNames()) {
            Matcher channel = CHANNEL.matcher(key);
            if (key.startsWith("%") || !channel.matches()) {
                continue;
            }
            String prefix = "mp.messaging." + channel.group(1) + "." + channel.group(2) + ".";
            String topic = properties.getProperty(key);
            if (channel.group(1).equals("outgoing")) {
                acls.addAll(grants("topic", topic, "literal", "Write", "Describe"));
                continue;
            }
            acls.addAll(grants("topic", topic, "literal", "Read", "Describe"));
            String group = properties.getProperty(prefix + "group.id");
            int placeholder = group.indexOf("${");
            acls.addAll(placeholder >= 0 ? grants("group", group.substring(0, placeholder), "prefix", "Read", "Describe")
                    : grants("group", group, "literal", "Read", "Describe"));
            ownGroups.add(placeholder >= 0 ? group.substring(0, placeholder) : group);
            String strategy = properties.getProperty(prefix + "failure-strategy",
                    properties.getProperty("mp.messaging.connector.smallrye-kafka.failure-strategy", "fail"));
            if (Set.of("fleet-dead-letters", "dead-letter-queue").contains(strategy)) {
                acls.addAll(grants("topic", Topics.dlq(topic), "literal", "Write", "Describe"));
            }
        }
        if (module.equals("planner-service")) {
            String code = sources(module);
            Matcher published = OUTBOX_PUBLISH.matcher(code);
            while (published.find()) {
                acls.addAll(grants("topic", topicsConstant(published.group(1)), "literal", "Write", "Describe"));
            }
            Matcher group = GROUP_CONSTANT.matcher(code);
            while (group.find()) {
                String name = topicsConstant(group.group(1));
                if (!ownGroups.contains(name)) {
                    acls.addAll(grants("group", name, "literal", "Describe"));
                }
            }
        }
        return acls;
    }

    private static Set<String> grants(String type, String name, String pattern, String... operations) {
        Set<String> grants = new TreeSet<>();
        for (String operation : operations) {
            grants.add(String.join("|", type, name, pattern, operation));
        }
        return grants;
    }

    private static String topicsConstant(String field) {
        try {
            return (String) Topics.class.getField(field).get(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("Topics." + field + " is no constant", e);
        }
    }

    /** READ → Read, IDEMPOTENT_WRITE → IdempotentWrite (Strimzi's names). */
    private static String camel(String constant) {
        StringBuilder name = new StringBuilder();
        for (String part : constant.split("_")) {
            name.append(part.charAt(0)).append(part.substring(1).toLowerCase());
        }
        return name.toString();
    }

    // ----- the services' containers: credentials, CA, management port -----

    private static void checkServiceContainer(ObjectNode deployment, List<ObjectNode> objects, List<String> problems) {
        String module = MODULES.get(name(deployment));
        if (module == null) {
            return;
        }
        JsonNode spec = deployment.path("spec").path("template").path("spec");
        JsonNode container = spec.path("containers").get(0);
        String where = "Deployment/" + name(deployment);
        Map<String, JsonNode> env = new TreeMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
        JsonNode jaas = env.getOrDefault("KAFKA_SASL_JAAS_CONFIG", com.fasterxml.jackson.databind.node.MissingNode.getInstance()).path("valueFrom").path("secretKeyRef");
        if (!jaas.path("name").asText().equals(name(deployment)) || !jaas.path("key").asText().equals("sasl.jaas.config")) {
            problems.add(where + ": KAFKA_SASL_JAAS_CONFIG must come from key sasl.jaas.config of its KafkaUser's Secret " + name(deployment));
        }
        // The cluster CA, mounted where the ConfigMap's truststore location points.
        String truststore = ofKind(objects, "ConfigMap").stream().map(c -> c.path("data").path("KAFKA_SSL_TRUSTSTORE_LOCATION").asText())
                .filter(s -> !s.isEmpty()).findFirst().orElse("");
        String caSecret = ofKind(objects, "Kafka").stream().map(k -> name(k) + "-cluster-ca-cert").findFirst().orElse("?");
        boolean mounted = false;
        for (JsonNode mount : container.path("volumeMounts")) {
            for (JsonNode volume : spec.path("volumes")) {
                if (volume.path("name").asText().equals(mount.path("name").asText()) && volume.path("secret").path("secretName").asText().equals(caSecret)
                        && !truststore.isEmpty() && truststore.startsWith(mount.path("mountPath").asText() + "/")) {
                    mounted = true;
                }
            }
        }
        if (!mounted) {
            problems.add(where + ": must mount Secret " + caSecret + " where KAFKA_SSL_TRUSTSTORE_LOCATION (" + truststore + ") points");
        }
        // Health and metrics on the management port the service is configured with.
        int managementPort = configuredManagementPort(module, env);
        boolean declared = false;
        for (JsonNode port : container.path("ports")) {
            if (port.path("name").asText().equals("management")) {
                declared = port.path("containerPort").asInt() == managementPort;
            }
        }
        if (!declared) {
            problems.add(where + ": container port management must be " + managementPort + ", the service's quarkus.management.port");
        }
    }

    /** quarkus.management.port from the container's environment, else the default in application.properties. */
    static int configuredManagementPort(String module, Map<String, JsonNode> env) {
        String value = properties(module).getProperty("quarkus.management.port", "9000");
        if (env.containsKey("QUARKUS_MANAGEMENT_PORT")) {
            return env.get("QUARKUS_MANAGEMENT_PORT").path("value").asInt();
        }
        Matcher placeholder = DEFAULT_PORT.matcher(value);
        if (placeholder.matches()) {
            return env.containsKey(placeholder.group(1)) ? env.get(placeholder.group(1)).path("value").asInt() : Integer.parseInt(placeholder.group(2));
        }
        return Integer.parseInt(value);
    }

    // ----- NetworkPolicies -----

    static void checkNetworkPolicies(List<ObjectNode> objects, List<String> problems) {
        List<ObjectNode> policies = ofKind(objects, "NetworkPolicy");
        for (ObjectNode deployment : ofKind(objects, "Deployment")) {
            String service = name(deployment);
            JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
            List<JsonNode> rules = ingressRules(policies, labels);
            String where = "pods of Deployment/" + service;
            if (rules == null) {
                problems.add(where + ": no NetworkPolicy selects them, so anyone may connect");
                continue;
            }
            boolean scrapable = false;
            boolean api = false;
            for (JsonNode rule : rules) {
                Set<String> ports = new TreeSet<>();
                rule.path("ports").forEach(p -> ports.add(p.path("port").asText()));
                boolean fromAnywhere = !rule.has("from") || rule.path("from").isEmpty();
                if (ports.isEmpty()) {
                    problems.add(where + ": a rule admits every port: " + rule);
                }
                if (fromAnywhere) {
                    if (!service.equals("fleet-planner") || !ports.equals(Set.of("http"))) {
                        problems.add(where + ": only the planner's API (port http) may be open to anyone; open: " + rule);
                    }
                    api = true;
                    continue;
                }
                if (!ports.equals(Set.of("management"))) {
                    problems.add(where + ": only the management port is for others than API callers: " + rule);
                }
                for (JsonNode peer : rule.path("from")) {
                    if (!peer.path("namespaceSelector").path("matchLabels").path("kubernetes.io/metadata.name").asText().equals(MONITORING)) {
                        problems.add(where + ": the management port is for the " + MONITORING + " namespace only: " + peer);
                    }
                }
                scrapable = true;
            }
            if (!scrapable) {
                problems.add(where + ": Prometheus (namespace " + MONITORING + ") cannot reach the management port");
            }
            if (service.equals("fleet-planner") && !api) {
                problems.add(where + ": the API (port http) must be reachable");
            }
        }
        for (ObjectNode cluster : ofKind(objects, "Cluster")) {
            ObjectNode labels = Kustomization.YAML.createObjectNode();
            labels.put("cnpg.io/cluster", name(cluster));
            List<JsonNode> rules = ingressRules(policies, labels);
            String where = "PostgreSQL (Cluster/" + name(cluster) + ")";
            if (rules == null) {
                problems.add(where + ": no NetworkPolicy selects its instances");
                continue;
            }
            boolean planner = false;
            for (JsonNode rule : rules) {
                if (!rule.has("from") || rule.path("from").isEmpty()) {
                    problems.add(where + ": open to anyone: " + rule);
                }
                for (JsonNode peer : rule.path("from")) {
                    String app = peer.path("podSelector").path("matchLabels").path("app.kubernetes.io/name").asText();
                    if (!app.isEmpty() && !app.equals("fleet-planner")) {
                        problems.add(where + ": only the planner of the fleet's services may connect, not " + app);
                    }
                    if (app.equals("fleet-planner") && !peer.has("namespaceSelector")) {
                        planner = true;
                    }
                }
            }
            if (!planner) {
                problems.add(where + ": the planner cannot reach it");
            }
        }
    }

    /** The ingress rules of every policy that selects pods with {@code labels}; null when none selects them. */
    private static List<JsonNode> ingressRules(List<ObjectNode> policies, JsonNode labels) {
        List<JsonNode> rules = null;
        for (ObjectNode policy : policies) {
            JsonNode spec = policy.path("spec");
            boolean ingress = spec.path("policyTypes").isEmpty();
            for (JsonNode type : spec.path("policyTypes")) {
                ingress |= type.asText().equals("Ingress");
            }
            if (ingress && selects(spec.path("podSelector"), labels)) {
                rules = rules == null ? new ArrayList<>() : rules;
                spec.path("ingress").forEach(rules::add);
            }
        }
        return rules;
    }

    static boolean selects(JsonNode selector, JsonNode labels) {
        boolean[] matched = {true};
        selector.path("matchLabels").fields().forEachRemaining(e -> matched[0] &= labels.path(e.getKey()).asText().equals(e.getValue().asText()));
        for (JsonNode expression : selector.path("matchExpressions")) {
            Set<String> values = new HashSet<>();
            expression.path("values").forEach(v -> values.add(v.asText()));
            matched[0] &= expression.path("operator").asText().equals("In") && values.contains(labels.path(expression.path("key").asText()).asText());
        }
        return matched[0];
    }

    // ----- helpers -----

    static Properties properties(String module) {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(ROOT.resolve(module).resolve("src/main/resources/application.properties"))) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    private static String sources(String module) {
        StringBuilder code = new StringBuilder();
        try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                code.append(Files.readString(file)).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return code.toString();
    }

    private static List<ObjectNode> ofKind(List<ObjectNode> objects, String kind) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    private static String name(JsonNode o) {
        return o.path("metadata").path("name").asText();
    }
}
