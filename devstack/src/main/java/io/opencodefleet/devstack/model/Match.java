package io.opencodefleet.devstack.model;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Which model calls a {@link Rule} answers. Combine with {@link #and(Match)}, {@link #or(Match)},
 * {@link #negate()}.
 */
@FunctionalInterface
public interface Match {

    boolean test(Conversation conversation);

    /** Every call. */
    static Match any() {
        return conversation -> true;
    }

    /** Some user message of the conversation contains {@code text}. */
    static Match promptContains(String text) {
        Objects.requireNonNull(text);
        return conversation -> conversation.prompt().contains(text);
    }

    /** The last user message contains {@code text}. */
    static Match lastUserMessageContains(String text) {
        Objects.requireNonNull(text);
        return conversation -> conversation.lastUserMessage().contains(text);
    }

    /** The system prompt contains {@code text}. */
    static Match systemContains(String text) {
        Objects.requireNonNull(text);
        return conversation -> conversation.system().contains(text);
    }

    /** The request offers tools (an agent step, not a title request). */
    static Match hasTools() {
        return Conversation::hasTools;
    }

    /** OpenCode's session title request: no tools offered. */
    static Match titleRequest() {
        return conversation -> !conversation.hasTools();
    }

    /** The call is exactly this step of the current prompt (0 = first call). */
    static Match step(int step) {
        return conversation -> conversation.step() == step;
    }

    /** At least {@code count} tool results are in the conversation. */
    static Match toolResultsAtLeast(int count) {
        return conversation -> conversation.toolResults() >= count;
    }

    default Match and(Match other) {
        return conversation -> test(conversation) && other.test(conversation);
    }

    default Match or(Match other) {
        return conversation -> test(conversation) || other.test(conversation);
    }

    default Match negate() {
        return conversation -> !test(conversation);
    }

    /**
     * A match from its JSON form: an object whose keys are all required to hold ({@code promptContains},
     * {@code lastUserMessageContains}, {@code systemContains}, {@code hasTools}, {@code titleRequest},
     * {@code step}, {@code toolResultsAtLeast}, {@code not}, {@code all}, {@code any}). An empty object or
     * absent node matches every call.
     */
    static Match fromJson(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return any();
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("a match must be a JSON object: " + node);
        }
        List<Match> parts = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            parts.add(switch (field.getKey()) {
                case "promptContains" -> promptContains(value.asText());
                case "lastUserMessageContains" -> lastUserMessageContains(value.asText());
                case "systemContains" -> systemContains(value.asText());
                case "hasTools" -> value.asBoolean() ? hasTools() : titleRequest();
                case "titleRequest" -> value.asBoolean() ? titleRequest() : hasTools();
                case "step" -> step(value.asInt());
                case "toolResultsAtLeast" -> toolResultsAtLeast(value.asInt());
                case "not" -> fromJson(value).negate();
                case "all" -> {
                    Match all = any();
                    for (JsonNode each : value) {
                        all = all.and(fromJson(each));
                    }
                    yield all;
                }
                case "any" -> {
                    Match either = conversation -> false;
                    for (JsonNode each : value) {
                        either = either.or(fromJson(each));
                    }
                    yield either;
                }
                default -> throw new IllegalArgumentException("unknown match key '" + field.getKey() + "'");
            });
        }
        Match all = any();
        for (Match part : parts) {
            all = all.and(part);
        }
        return all;
    }
}
