package io.opencodefleet.e2e.hostile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Generates malformed and hostile records of one message type from a valid one, by the thousand, with a seed: bytes
 * that are not JSON (garbage, truncations, other JSON types), another type or a newer schema version, fields
 * removed, fields of the wrong JSON type, values out of range, unknown enum values, ids and branches that are paths
 * or options, credentials in URLs, strings past their caps, nesting too deep. Every record it returns is checked to
 * be refused by the message's own decoding, so each one must end in a dead-letter topic.
 */
final class HostileRecords {

    static final List<String> HOSTILE_IDS = List.of("../../etc/passwd", "/tmp/x", "a/../../b", "..", ".git", "-rf", "a b", "x\u0000y",
            "é", "a".repeat(65), "$(touch /tmp/pwned)", "`id`", "a;rm -rf /", "C:\\\\win", "fleet/../x", "~root", "*", "%2e%2e%2f");
    static final List<String> HOSTILE_BRANCHES = List.of("-delete", "a..b", "x~1", "a:b", "@{u}", "refs/../../x", "/abs", "a.lock", "a b",
            "main\nother", "..", "a//b");
    static final List<String> HOSTILE_URLS = List.of("https://token@github.com/o/r.git", "https://u:p@h/r.git", "ext::sh -c touch%20/tmp/x",
            "--upload-pack=touch /tmp/x", "file://host/r.git", "ftp://h/r", "javascript:alert(1)", "", "http://h/r.git?x=1");

    private final Random random;
    private final ObjectNode valid;
    private final Class<?> type;
    private final List<String> required;
    private final List<String> idFields;
    private final List<String> branchFields;
    private final List<String> enumFields;

    HostileRecords(long seed, Class<?> type, Object validMessage, List<String> required, List<String> idFields,
            List<String> branchFields, List<String> enumFields) {
        this.random = new Random(seed);
        this.type = type;
        this.valid = (ObjectNode) FleetJson.MAPPER.valueToTree(validMessage);
        this.required = required;
        this.idFields = idFields;
        this.branchFields = branchFields;
        this.enumFields = enumFields;
    }

    /** {@code count} records, every one refused by the type's decoding. */
    List<byte[]> generate(int count) {
        List<byte[]> records = new ArrayList<>(count);
        while (records.size() < count) {
            byte[] candidate = next();
            if (refused(candidate)) {
                records.add(candidate);
            }
        }
        return records;
    }

    private boolean refused(byte[] record) {
        try {
            MessageCodec.decode(new String(record, StandardCharsets.UTF_8), type);
            return false;
        } catch (InvalidMessageException e) {
            return true;
        }
    }

    private byte[] next() {
        List<Function<ObjectNode, Object>> mutations = List.of(
                this::garbage, this::truncated, this::otherJson, this::otherType, this::newerVersion, this::withoutRequired,
                this::wrongJsonType, this::hostileId, this::hostileBranch, this::unknownEnum, this::outOfRange, this::tooLong,
                this::tooDeep, this::hostileUrl, this::nullEverywhere);
        Object mutated = mutations.get(random.nextInt(mutations.size())).apply(valid.deepCopy());
        if (mutated instanceof byte[] bytes) {
            return bytes;
        }
        return mutated.toString().getBytes(StandardCharsets.UTF_8);
    }

    private Object garbage(ObjectNode message) {
        byte[] bytes = new byte[1 + random.nextInt(300)];
        random.nextBytes(bytes);
        return bytes;
    }

    private Object truncated(ObjectNode message) {
        String json = message.toString();
        return json.substring(0, 1 + random.nextInt(json.length() - 1));
    }

    private Object otherJson(ObjectNode message) {
        return List.of("null", "[]", "[" + message + "]", "42", "\"a string\"", "true", "{}", " ", "{\"\":{}}").get(random.nextInt(9));
    }

    private Object otherType(ObjectNode message) {
        return message.put("type", List.of("TaskResult", "ReviewVerdict", "MissionSubmitted", "Evil", "").get(random.nextInt(5)).equals(type.getSimpleName())
                ? "Evil" : List.of("TaskResult", "ReviewVerdict", "MissionSubmitted", "Evil", "").get(random.nextInt(5)));
    }

    private Object newerVersion(ObjectNode message) {
        return message.put("schemaVersion", 2 + random.nextInt(1000));
    }

    private Object withoutRequired(ObjectNode message) {
        message.remove(pick(required));
        return message;
    }

    private Object wrongJsonType(ObjectNode message) {
        List<String> names = new ArrayList<>();
        message.fieldNames().forEachRemaining(names::add);
        String field = pick(required);
        JsonNode replacement = switch (random.nextInt(4)) {
            case 0 -> JsonNodeFactory.instance.arrayNode().add(1);
            case 1 -> JsonNodeFactory.instance.objectNode().put("x", 1);
            case 2 -> JsonNodeFactory.instance.booleanNode(true);
            default -> JsonNodeFactory.instance.numberNode(random.nextDouble() * 1e9);
        };
        message.set(field, replacement);
        return message;
    }

    private Object hostileId(ObjectNode message) {
        return idFields.isEmpty() ? garbage(message) : message.put(pick(idFields), pick(HOSTILE_IDS));
    }

    private Object hostileBranch(ObjectNode message) {
        return branchFields.isEmpty() ? hostileId(message) : message.put(pick(branchFields), pick(HOSTILE_BRANCHES));
    }

    private Object unknownEnum(ObjectNode message) {
        return enumFields.isEmpty() ? newerVersion(message) : message.put(pick(enumFields), "MAYBE_" + random.nextInt(1000));
    }

    private Object outOfRange(ObjectNode message) {
        if (message.has("attempt")) {
            return message.put("attempt", List.of(0, -1, Integer.MIN_VALUE).get(random.nextInt(3)));
        }
        return withoutRequired(message);
    }

    private Object tooLong(ObjectNode message) {
        return message.put(pick(idFields.isEmpty() ? required : idFields), "x".repeat(70 + random.nextInt(200_000)));
    }

    private Object tooDeep(ObjectNode message) {
        JsonNode deep = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < 100 + random.nextInt(2000); i++) {
            ArrayNode outer = JsonNodeFactory.instance.arrayNode();
            outer.add(deep);
            deep = outer;
        }
        message.set(pick(required), deep);
        return message;
    }

    private Object hostileUrl(ObjectNode message) {
        if (message.has("repo")) {
            ((ObjectNode) message.get("repo")).put("url", pick(HOSTILE_URLS));
            return message;
        }
        return hostileId(message);
    }

    private Object nullEverywhere(ObjectNode message) {
        Iterator<String> names = message.fieldNames();
        List<String> all = new ArrayList<>();
        names.forEachRemaining(all::add);
        all.forEach(message::putNull);
        return message;
    }

    private <T> T pick(List<T> from) {
        return from.get(random.nextInt(from.size()));
    }
}
