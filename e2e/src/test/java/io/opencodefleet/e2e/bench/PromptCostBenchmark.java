package io.opencodefleet.e2e.bench;

import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.RecordedRequest;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import io.opencodefleet.e2e.LocalFleet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the fleet adds to each task's prompt (the mission's goal, what finished dependencies did, guidance, the last
 * attempt's feedback, the fleet's instructions), measured on the prompts a real OpenCode sent to the model for a
 * realistic mission: a goal of about a paragraph, eight tasks in a chain with a fork and a join, summaries the
 * length agents write, one task rejected once by the mission's check. Beside it, what OpenCode itself sends with
 * every first call (its system prompt and tool schemas), and the cap the fleet holds its part to.
 *
 * Run with {@code bin/bench} or {@code java ... PromptCostBenchmark}.
 */
public final class PromptCostBenchmark {

    private static final String GOAL = """
            Add rate limiting to the public HTTP API. Every client is identified by its API key; anonymous calls share \
            one bucket per source address. Limits come from configuration (requests per minute and a burst), default \
            to 600/min with a burst of 100, and can be overridden per key. A limited call answers 429 with a \
            Retry-After header and a JSON error body in the API's usual shape. Keep the limiter's state in memory \
            with a sliding window; document the settings in docs/configuration.md and cover the behaviour with tests \
            that do not sleep (inject the clock). Do not change the public paths or the shape of successful answers.""";
    private static final Map<String, List<String>> PLAN = new LinkedHashMap<>();

    static {
        PLAN.put("config", List.of());
        PLAN.put("clock", List.of());
        PLAN.put("window", List.of("config", "clock"));
        PLAN.put("keys", List.of("window"));
        PLAN.put("anonymous", List.of("window"));
        PLAN.put("filter", List.of("keys", "anonymous"));
        PLAN.put("errors", List.of("filter"));
        PLAN.put("docs", List.of("errors"));
    }

    public static void main(String[] args) throws Exception {
        List<Rule> rules = new ArrayList<>();
        rules.add(Rule.when(Match.titleRequest()).reply(Turn.text("Fleet task")));
        // One task is rejected by the check once; its second attempt carries the feedback.
        rules.add(Rule.when(Match.promptContains("[[window]]").and(Match.promptContains("Feedback on attempt 1")))
                .reply(Turn.write("window.txt", "ok\n"), Turn.text(summary("window"))));
        rules.add(Rule.when(Match.promptContains("[[window]]")).reply(Turn.write("window.txt", "broken\n"), Turn.text(summary("window"))));
        for (String task : PLAN.keySet()) {
            rules.add(Rule.when(Match.promptContains("[[" + task + "]]")).reply(Turn.write(task + ".txt", "ok\n"), Turn.text(summary(task))));
        }
        int status = 0;
        try (ScriptedModel model = ScriptedModel.start(Script.of(rules.toArray(Rule[]::new)));
                LocalFleet fleet = new LocalFleet(model, 1)) {
            LocalRepository repo = LocalRepository.create(Files.createTempDirectory("prompt-cost-"), Map.of(
                    "check.sh", "#!/bin/sh\nif [ -f window.txt ] && [ \"$(cat window.txt)\" != ok ]; then\n"
                            + "  echo \"FAIL RateWindowTest.slidesWithTheClock: expected 100 permits, got 0 (window.txt says $(cat window.txt))\"; exit 1\nfi\necho ok\n",
                    "README.md", "# api\n"));
            String id = "prompts-" + UUID.randomUUID().toString().substring(0, 6);
            StringBuilder plan = new StringBuilder();
            Map<String, String> ownPrompts = new LinkedHashMap<>();
            PLAN.forEach((task, deps) -> {
                String prompt = "[[" + task + "]] " + taskPrompt(task);
                ownPrompts.put(task, prompt);
                plan.append(plan.isEmpty() ? "" : ",").append("{\"id\":\"").append(task).append("\",\"title\":\"Rate limiting: ")
                        .append(task).append("\",\"prompt\":\"").append(prompt).append("\",\"dependsOn\":[")
                        .append(String.join(",", deps.stream().map(d -> "\"" + d + "\"").toList())).append("]}");
            });
            var response = fleet.submit("""
                    {"missionId":"%s","goal":"%s","repo":{"url":"%s","baseRef":"main"},
                     "verify":{"commands":["sh check.sh"],"timeoutSeconds":60},
                     "limits":{"maxAttempts":3,"taskTimeoutSeconds":300},"plan":[%s]}
                    """.formatted(id, GOAL, repo.url(), plan));
            if (response.statusCode() != 202) {
                throw new IllegalStateException("submit answered " + response.statusCode() + ": " + response.body());
            }
            String sealed = fleet.awaitStatus(id, Duration.ofMinutes(5)).path("status").asText();
            if (!sealed.equals("SEALED")) {
                throw new IllegalStateException("mission " + id + " ended " + sealed);
            }
            Stats fleetAdded = new Stats();
            Stats user = new Stats();
            Stats openCode = new Stats();
            System.out.println("| task, attempt | task's own prompt | whole user message | added by the fleet |");
            System.out.println("| --- | --- | --- | --- |");
            for (RecordedRequest first : model.agentRequests().stream().filter(r -> r.step() == 0).toList()) {
                String task = ownPrompts.keySet().stream().filter(t -> first.lastUserMessage().contains("[[" + t + "]]")).findFirst().orElse(null);
                if (task == null) {
                    continue;
                }
                int own = bytes(ownPrompts.get(task));
                int message = bytes(first.lastUserMessage());
                boolean retry = first.lastUserMessage().contains("Feedback on attempt");
                fleetAdded.add(message - own);
                user.add(message);
                openCode.add(bytes(first.body().toString()) - message);
                System.out.printf("| %s%s | %,d B | %,d B | %,d B |%n", task, retry ? " (retry, with feedback)" : "", own, message, message - own);
            }
            System.out.printf("%nadded by the fleet per task: median %,.0f B, max %,.0f B (n=%d); whole user message median %,.0f B%n",
                    fleetAdded.median(), fleetAdded.percentile(100), fleetAdded.count(), user.median());
            System.out.printf("sent by OpenCode itself with each first call (system prompt, tool schemas): median %,.0f B%n", openCode.median());
            System.out.printf("cap on the fleet's part: context %,d + feedback %,d + title %,d characters (the task's own prompt ≤ %,d)%n",
                    Sizes.CONTEXT, Sizes.FEEDBACK, Sizes.TITLE, Sizes.PROMPT);
        } catch (Exception e) {
            e.printStackTrace(System.out);
            status = 1;
        }
        System.exit(status);
    }

    private static String taskPrompt(String task) {
        return switch (task) {
            case "config" -> "Add the rate-limit settings (per-minute rate, burst, per-key overrides) to the configuration with the defaults from the goal.";
            case "clock" -> "Introduce an injectable clock for the limiter so tests can move time without sleeping.";
            case "window" -> "Implement the sliding-window limiter over the clock and the settings, with unit tests.";
            case "keys" -> "Limit calls with an API key per key, honouring per-key overrides.";
            case "anonymous" -> "Limit anonymous calls per source address in one shared bucket per address.";
            case "filter" -> "Apply the limiter to every public path in a request filter, before the handlers run.";
            case "errors" -> "Answer limited calls with 429, a Retry-After header and the API's usual JSON error body.";
            default -> "Document the settings in docs/configuration.md with an example of a per-key override.";
        };
    }

    /** A summary of the length agents write at the end of a task (a few sentences). */
    private static String summary(String task) {
        return "Done with " + task + ": added the " + task + " piece of the rate limiter, wired it where the plan said, and "
                + "covered it with tests that drive an injected clock instead of sleeping. All existing tests pass; no public "
                + "path or successful response changed. Settings are read once at start-up and validated, with clear errors "
                + "for a negative rate or a burst above the rate.";
    }

    private static int bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    private PromptCostBenchmark() {
    }
}
