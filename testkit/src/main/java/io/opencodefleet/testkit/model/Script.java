package io.opencodefleet.testkit.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The rules a {@link ScriptedModel} answers with; the first rule whose match accepts a call answers it. Calls
 * no rule takes get a title ("Scripted task") when they offer no tools (OpenCode's title requests), else the
 * text "No scripted rule matched." (which ends the agent loop).
 *
 * <p>JSON form (for {@link ScriptedModel#main(String[])} and {@code PUT /_scripted/script}):
 *
 * <pre>{@code
 * {
 *   "usage": {"promptTokens": 100, "completionTokens": 20},      // default usage of every answer
 *   "rules": [
 *     {"name": "task c",
 *      "when": {"promptContains": "task c", "hasTools": true},
 *      "failFirst": {"status": 429, "times": 2, "retryAfterMs": 0},
 *      "reply": [
 *        {"write": {"path": "c.txt", "content": "hello\n"}},
 *        {"bash": "echo hi > out.txt"},
 *        {"text": "two at once", "calls": [{"write": {...}}, {"bash": "ls"}]},
 *        {"tool": {"name": "edit", "args": {"filePath": "c.txt", "oldString": "a", "newString": "b"}}},
 *        {"plan": {"tasks": []}},
 *        {"malformedToolCall": "write"},
 *        {"hang": true},
 *        {"error": 500},
 *        "done"
 *      ]}
 *   ]
 * }
 * }</pre>
 *
 * @param rules in order of precedence
 * @param defaultUsage usage reported for turns that set none
 */
public record Script(List<Rule> rules, Turn.Usage defaultUsage) {

    public static final Turn.Usage DEFAULT_USAGE = new Turn.Usage(100, 20);

    public Script {
        rules = List.copyOf(rules);
        for (Rule rule : rules) {
            if (rule.turns().isEmpty()) {
                throw new IllegalArgumentException("rule '" + rule.name() + "' has no reply");
            }
        }
    }

    public static Script of(Rule... rules) {
        return new Script(Arrays.asList(rules), DEFAULT_USAGE);
    }

    public Script withDefaultUsage(int promptTokens, int completionTokens) {
        return new Script(rules, new Turn.Usage(promptTokens, completionTokens));
    }

    /** The usage a turn reports. */
    public Turn.Usage usageOf(Turn turn) {
        return turn.usage() != null ? turn.usage() : defaultUsage;
    }

    /** The first rule matching, or null. */
    public Rule ruleFor(Conversation conversation) {
        for (Rule rule : rules) {
            if (rule.match().test(conversation)) {
                return rule;
            }
        }
        return null;
    }

    public static Script load(Path file) {
        try {
            return fromJson(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Script fromJson(String json) {
        try {
            return fromJson(Turn.JSON.readTree(json));
        } catch (IOException e) {
            throw new IllegalArgumentException("not a script: " + e.getMessage(), e);
        }
    }

    public static Script fromJson(JsonNode node) {
        List<Rule> rules = new ArrayList<>();
        int index = 0;
        for (JsonNode ruleNode : node.path("rules")) {
            List<Turn> turns = new ArrayList<>();
            JsonNode reply = ruleNode.path("reply");
            if (reply.isArray()) {
                reply.forEach(turn -> turns.add(Turn.fromJson(turn)));
            } else if (!reply.isMissingNode()) {
                turns.add(Turn.fromJson(reply));
            }
            Rule rule = Rule.when(Match.fromJson(ruleNode.path("when")))
                    .named(ruleNode.path("name").asText("rule " + index))
                    .reply(turns.toArray(Turn[]::new));
            JsonNode fail = ruleNode.path("failFirst");
            if (fail.isObject()) {
                rule = rule.failFirst(fail.path("status").asInt(429), fail.path("times").asInt(1))
                        .retryAfterMs(fail.path("retryAfterMs").asLong(0));
            }
            rules.add(rule);
            index++;
        }
        JsonNode usage = node.path("usage");
        Turn.Usage defaultUsage = usage.isObject()
                ? new Turn.Usage(usage.path("promptTokens").asInt(), usage.path("completionTokens").asInt())
                : DEFAULT_USAGE;
        return new Script(rules, defaultUsage);
    }
}
