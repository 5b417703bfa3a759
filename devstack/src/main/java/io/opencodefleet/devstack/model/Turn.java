package io.opencodefleet.devstack.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One model answer: optional text, then zero or more tool calls (OpenCode runs them and calls the model again),
 * or a fault: an HTTP error status, a stream that never finishes.
 *
 * @param text assistant text, may be null
 * @param toolCalls the tool calls of this answer, in order
 * @param usage the usage reported in the final chunk, or null for the script's default
 * @param errorStatus an HTTP status to answer with instead of a completion (0 = none)
 * @param hangs stream the text, then never finish (until the client goes away or the model closes)
 * @param delay how long the model "thinks" before this answer, or null for the rule's or the script's delay
 */
public record Turn(String text, List<ToolCall> toolCalls, Usage usage, int errorStatus, boolean hangs, Duration delay) {

    static final ObjectMapper JSON = new ObjectMapper();

    public Turn {
        toolCalls = List.copyOf(toolCalls);
        if (delay != null && delay.isNegative()) {
            throw new IllegalArgumentException("negative delay " + delay);
        }
    }

    public Turn(String text, List<ToolCall> toolCalls, Usage usage, int errorStatus, boolean hangs) {
        this(text, toolCalls, usage, errorStatus, hangs, null);
    }

    /** A tool call in an answer; {@code arguments} is sent verbatim (it need not even be valid JSON). */
    public record ToolCall(String name, String arguments) {
        public ToolCall {
            Objects.requireNonNull(name);
            Objects.requireNonNull(arguments);
        }
    }

    /** Token usage reported for one model call. */
    public record Usage(int promptTokens, int completionTokens) {
        public int totalTokens() {
            return promptTokens + completionTokens;
        }
    }

    /** Plain text; ends the agent's loop. */
    public static Turn text(String text) {
        return new Turn(Objects.requireNonNull(text), List.of(), null, 0, false);
    }

    /** A plan (or any JSON document) as the text of the answer. */
    public static Turn plan(Object planJson) {
        try {
            return text(planJson instanceof String s ? s : JSON.writeValueAsString(planJson));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** OpenCode's {@code write} tool: creates or overwrites {@code path} (relative to the session directory). */
    public static Turn write(String path, String content) {
        return calls(writeCall(path, content));
    }

    /** OpenCode's {@code bash} tool. */
    public static Turn bash(String command) {
        return calls(bashCall(command));
    }

    /** OpenCode's {@code edit} tool: replaces {@code oldString} by {@code newString} in {@code path}. */
    public static Turn edit(String path, String oldString, String newString) {
        return calls(tool("edit", Map.of("filePath", path, "oldString", oldString, "newString", newString)));
    }

    /** Any tool with JSON arguments (a Map, a Jackson node, a record, or a JSON string). */
    public static Turn toolCall(String name, Object arguments) {
        return calls(tool(name, arguments));
    }

    /** Several tool calls in one answer. */
    public static Turn calls(ToolCall... calls) {
        return new Turn(null, Arrays.asList(calls), null, 0, false);
    }

    /** A tool call whose arguments are truncated JSON: OpenCode reports a tool error back to the model. */
    public static Turn malformedToolCall(String name) {
        return calls(new ToolCall(name, "{\"filePath\": \"broken.txt\", \"content\": "));
    }

    /** An answer streamed without end: the text arrives, the stream never finishes (for cancel tests). */
    public static Turn hang() {
        return new Turn("Working on it", List.of(), null, 0, true);
    }

    /**
     * Answers with this HTTP status and an OpenAI-style error body, every time this step is reached. OpenCode
     * retries 429 and 5xx itself (backing off 2 s, 4 s, ... up to 5 times) before it reports the error; 4xx
     * comes back at once as the assistant message's {@code APIError}.
     */
    public static Turn error(int status) {
        return new Turn(null, List.of(), null, status, false);
    }

    public static ToolCall writeCall(String path, String content) {
        return tool("write", Map.of("filePath", path, "content", content));
    }

    public static ToolCall bashCall(String command) {
        return tool("bash", Map.of("command", command, "description", "Run " + command));
    }

    public static ToolCall tool(String name, Object arguments) {
        try {
            String args = arguments instanceof String s ? s : JSON.writeValueAsString(arguments);
            return new ToolCall(name, args);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** This answer with text before its tool calls. */
    public Turn withText(String text) {
        return new Turn(text, toolCalls, usage, errorStatus, hangs, delay);
    }

    /** This answer reporting the given usage. */
    public Turn withUsage(int promptTokens, int completionTokens) {
        return new Turn(text, toolCalls, new Usage(promptTokens, completionTokens), errorStatus, hangs, delay);
    }

    /** This answer after the model waited {@code delay} (overrides the rule's and the script's delay). */
    public Turn withDelay(Duration delay) {
        return new Turn(text, toolCalls, usage, errorStatus, hangs, delay);
    }

    /** True when OpenCode will call the model again after this answer. */
    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }

    /**
     * A turn from its JSON form. Shortcuts: {@code "some text"}, {@code {"text": ...}},
     * {@code {"write": {"path", "content"}}}, {@code {"bash": "cmd"}},
     * {@code {"edit": {"path", "oldString", "newString"}}}, {@code {"tool": {"name", "args"}}},
     * {@code {"plan": {...}}}, {@code {"malformedToolCall": "write"}}, {@code {"hang": true}},
     * {@code {"error": 500}}; and {@code {"text": "...", "calls": [<call>...]}} for several calls. Any turn may
     * carry {@code "usage": {"promptTokens": n, "completionTokens": m}} and {@code "delayMs": n} (the time the
     * model takes before this answer).
     */
    public static Turn fromJson(JsonNode node) {
        if (node.isTextual()) {
            return text(node.asText());
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("a turn must be a string or an object: " + node);
        }
        Turn turn;
        if (node.has("hang")) {
            turn = hang();
        } else if (node.has("error")) {
            turn = error(node.path("error").asInt());
        } else if (node.has("plan")) {
            turn = plan(node.path("plan").isTextual() ? node.path("plan").asText() : node.path("plan"));
        } else if (node.has("malformedToolCall")) {
            turn = malformedToolCall(node.path("malformedToolCall").asText("write"));
        } else {
            List<ToolCall> calls = new ArrayList<>();
            ObjectNode single = node.deepCopy();
            single.remove(List.of("text", "usage", "calls", "delayMs"));
            if (!single.isEmpty()) {
                calls.add(callFromJson(single));
            }
            for (JsonNode call : node.path("calls")) {
                calls.add(callFromJson(call));
            }
            String text = node.has("text") ? node.path("text").asText() : null;
            if (text == null && calls.isEmpty()) {
                throw new IllegalArgumentException("a turn needs text or a call: " + node);
            }
            turn = new Turn(text, calls, null, 0, false);
        }
        if (node.has("text") && turn.hangs()) {
            turn = new Turn(node.path("text").asText(), List.of(), null, 0, true);
        }
        JsonNode usage = node.path("usage");
        if (usage.isObject()) {
            turn = turn.withUsage(usage.path("promptTokens").asInt(), usage.path("completionTokens").asInt());
        }
        if (node.has("delayMs")) {
            turn = turn.withDelay(Duration.ofMillis(node.path("delayMs").asLong()));
        }
        return turn;
    }

    static ToolCall callFromJson(JsonNode call) {
        Iterator<Map.Entry<String, JsonNode>> fields = call.fields();
        if (!fields.hasNext()) {
            throw new IllegalArgumentException("empty tool call");
        }
        Map.Entry<String, JsonNode> field = fields.next();
        JsonNode value = field.getValue();
        return switch (field.getKey()) {
            case "write" -> writeCall(value.path("path").asText(), value.path("content").asText());
            case "bash" -> bashCall(value.isTextual() ? value.asText() : value.path("command").asText());
            case "edit" -> tool("edit", Map.of("filePath", value.path("path").asText(), "oldString",
                    value.path("oldString").asText(), "newString", value.path("newString").asText()));
            case "tool" -> tool(value.path("name").asText(),
                    value.path("args").isTextual() ? value.path("args").asText() : value.path("args"));
            default -> throw new IllegalArgumentException("unknown tool call kind '" + field.getKey() + "'");
        };
    }
}
