package io.opencodefleet.devstack.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The fleet's Kafka topics, users and ACLs as its Strimzi manifests declare them ({@code deploy/k8s/base/kafka/}:
 * the {@code KafkaTopic}s of {@code topics.yaml}, the {@code KafkaUser}s and their ACLs of {@code users.yaml}). A local
 * fleet with authentication sets its broker up from the same files ({@link #apply}), so what runs on a laptop and in
 * the end-to-end tests is what a deployment grants, and the two cannot drift apart.
 */
public final class KafkaAccess {

    /** The users of the services and of whoever submits missions straight to Kafka (names as in users.yaml). */
    public static final String PLANNER = "fleet-planner";
    public static final String WORKER = "fleet-worker";
    public static final String REVIEWER = "fleet-reviewer";
    public static final String SUBMITTER = "fleet-submitter";
    /** Where the manifests live in the repository. */
    public static final String MANIFESTS = "deploy/k8s/base/kafka";

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final long TIMEOUT_SECONDS = 30;

    private final Map<String, Integer> topics;
    private final Map<String, List<AclBinding>> acls;

    private KafkaAccess(Map<String, Integer> topics, Map<String, List<AclBinding>> acls) {
        this.topics = topics;
        this.acls = acls;
    }

    /** Reads {@code topics.yaml} and {@code users.yaml} of {@value #MANIFESTS} in the repository at {@code projectRoot}. */
    public static KafkaAccess fromProject(Path projectRoot) {
        return read(projectRoot.resolve(MANIFESTS));
    }

    /** Reads {@code topics.yaml} and {@code users.yaml} of a directory of Strimzi manifests. */
    public static KafkaAccess read(Path manifests) {
        Map<String, Integer> topics = new LinkedHashMap<>();
        Map<String, List<AclBinding>> acls = new LinkedHashMap<>();
        for (Path file : List.of(manifests.resolve("topics.yaml"), manifests.resolve("users.yaml"))) {
            for (JsonNode object : readAll(file)) {
                switch (object.path("kind").asText()) {
                    case "KafkaTopic" -> topics.put(object.path("spec").path("topicName").asText(object.path("metadata").path("name").asText()),
                            object.path("spec").path("partitions").asInt(1));
                    case "KafkaUser" -> {
                        String user = object.path("metadata").path("name").asText();
                        acls.put(user, bindings(user, object.path("spec").path("authorization"), file));
                    }
                    default -> { }
                }
            }
        }
        if (topics.isEmpty() || acls.isEmpty()) {
            throw new IllegalArgumentException("no KafkaTopic or no KafkaUser in " + manifests);
        }
        return new KafkaAccess(Map.copyOf(topics), Map.copyOf(acls));
    }

    /** Topic name → partitions. */
    public Map<String, Integer> topics() {
        return topics;
    }

    public Set<String> users() {
        return acls.keySet();
    }

    /** What {@code user} may do; an unknown user may do nothing. */
    public List<AclBinding> acls(String user) {
        return acls.getOrDefault(user, List.of());
    }

    /**
     * Sets a broker up with an admin client of a super user: creates the topics it lacks (with the manifests'
     * partitions, one replica), gives each user of {@code passwords} that SCRAM-SHA-256 password, and replaces the
     * user's ACLs with the manifests' (so a user keeps nothing an older version of the file granted).
     */
    public void apply(Admin admin, Map<String, String> passwords) {
        try {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<NewTopic> missing = topics.entrySet().stream().filter(t -> !existing.contains(t.getKey()))
                    .map(t -> new NewTopic(t.getKey(), t.getValue(), (short) 1)).toList();
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            List<UserScramCredentialUpsertion> credentials = new ArrayList<>();
            List<AclBindingFilter> stale = new ArrayList<>();
            List<AclBinding> granted = new ArrayList<>();
            passwords.forEach((user, password) -> {
                if (!acls.containsKey(user)) {
                    throw new IllegalArgumentException("no KafkaUser " + user + " in the manifests; users: " + users());
                }
                credentials.add(new UserScramCredentialUpsertion(user,
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), password));
                stale.add(new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter(principal(user), null,
                        AclOperation.ANY, AclPermissionType.ANY)));
                granted.addAll(acls.get(user));
            });
            admin.alterUserScramCredentials(List.copyOf(credentials)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            admin.deleteAcls(stale).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            admin.createAcls(granted).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot set up the broker's users and ACLs: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the broker did not set up its users and ACLs within " + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting up the broker's users", e);
        }
    }

    public static String principal(String user) {
        return "User:" + user;
    }

    /** A Strimzi {@code authorization: {type: simple, acls: [...]}} as Kafka ACL bindings of {@code User:<user>}. */
    private static List<AclBinding> bindings(String user, JsonNode authorization, Path file) {
        if (!authorization.path("type").asText().equals("simple")) {
            throw new IllegalArgumentException(file + ": KafkaUser " + user + " needs authorization type simple");
        }
        List<AclBinding> bindings = new ArrayList<>();
        for (JsonNode rule : authorization.path("acls")) {
            JsonNode resource = rule.path("resource");
            ResourceType type = switch (resource.path("type").asText()) {
                case "topic" -> ResourceType.TOPIC;
                case "group" -> ResourceType.GROUP;
                case "cluster" -> ResourceType.CLUSTER;
                case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
                default -> throw new IllegalArgumentException(file + ": " + user + ": unknown resource type " + resource);
            };
            String name = type == ResourceType.CLUSTER ? "kafka-cluster" : resource.path("name").asText();
            PatternType pattern = resource.path("patternType").asText("literal").equals("prefix") ? PatternType.PREFIXED : PatternType.LITERAL;
            AclPermissionType permission = rule.path("type").asText("allow").equals("deny") ? AclPermissionType.DENY : AclPermissionType.ALLOW;
            List<String> operations = new ArrayList<>();
            rule.path("operations").forEach(o -> operations.add(o.asText()));
            if (rule.hasNonNull("operation")) { // Strimzi's older, single-operation form
                operations.add(rule.path("operation").asText());
            }
            for (String operation : operations) {
                bindings.add(new AclBinding(new ResourcePattern(type, name, pattern),
                        new AccessControlEntry(principal(user), rule.path("host").asText("*"), operation(operation), permission)));
            }
        }
        return List.copyOf(bindings);
    }

    /** Strimzi's operation names (Read, IdempotentWrite, ...) as Kafka's. */
    static AclOperation operation(String strimzi) {
        return AclOperation.valueOf(strimzi.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
    }

    private static List<JsonNode> readAll(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no " + file + ": the fleet's Kafka manifests are read from the repository");
        }
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            List<JsonNode> all = new ArrayList<>();
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && doc.isObject()) {
                    all.add(doc);
                }
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }
}
