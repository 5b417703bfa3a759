package io.opencodefleet.devstack.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 *   "delayMs": 200,                                               // time taken before every answer
 *   "rules": [
 *     {"name": "task c",
 *      "when": {"promptContains": "task c", "hasTools": true},
 *      "delayMs": 1000,                                           // this rule's answers: overrides the script's
 *      "failFirst": {"status": 429, "times": 2, "retryAfterMs": 0},
 *      "reply": [
 *        {"write": {"path": "c.txt", "content": "hello\n"}},
 *        {"bash": "echo hi > out.txt"},
 *        {"text": "two at once", "calls": [{"write": {...}}, {"bash": "ls"}]},
 *        {"bash": "make", "delayMs": 5000},                       // this answer: overrides the rule's
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
 * @param delay how long the model takes before every answer (a model that takes a fixed time per call), unless
 *        the rule or the turn says otherwise; {@link Duration#ZERO} answers at once
 */
public record Script(List<Rule> rules, Turn.Usage defaultUsage, Duration delay) {

    public static final Turn.Usage DEFAULT_USAGE = new Turn.Usage(100, 20);

    public Script {
        rules = List.copyOf(rules);
        for (Rule rule : rules) {
            if (rule.turns().isEmpty()) {
                throw new IllegalArgumentException("rule '" + rule.name() + "' has no reply");
            }
        }
        delay = delay == null ? Duration.ZERO : delay;
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative delay " + delay);
        }
    }

    public Script(List<Rule> rules, Turn.Usage defaultUsage) {
        this(rules, defaultUsage, Duration.ZERO);
    }

    public static Script of(Rule... rules) {
        return new Script(Arrays.asList(rules), DEFAULT_USAGE);
    }

    public Script withDefaultUsage(int promptTokens, int completionTokens) {
        return new Script(rules, new Turn.Usage(promptTokens, completionTokens), delay);
    }

    /** This script, taking {@code delay} before every answer (rules and turns with their own delay excepted). */
    public Script withDelay(Duration delay) {
        return new Script(rules, defaultUsage, delay);
    }

    /** How long to wait before answering a call that {@code rule} (null: no rule) answers at {@code step}. */
    public Duration delayOf(Rule rule, int step) {
        Duration specific = rule == null ? null : rule.delayAt(step);
        return specific != null ? specific : delay;
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
            if (ruleNode.has("delayMs")) {
                rule = rule.delay(Duration.ofMillis(ruleNode.path("delayMs").asLong()));
            }
            rules.add(rule);
            index++;
        }
        JsonNode usage = node.path("usage");
        Turn.Usage defaultUsage = usage.isObject()
                ? new Turn.Usage(usage.path("promptTokens").asInt(), usage.path("completionTokens").asInt())
                : DEFAULT_USAGE;
        Duration delay = Duration.ofMillis(node.path("delayMs").asLong(0));
        return new Script(rules, defaultUsage, delay);
    }
}
