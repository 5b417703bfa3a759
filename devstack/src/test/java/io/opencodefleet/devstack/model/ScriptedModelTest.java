package io.opencodefleet.devstack.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

class ScriptedModelTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    ScriptedModel model;

    @AfterEach
    void stop() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void streamsTextWithFinishReasonAndAFinalUsageChunk() throws Exception {
        model = ScriptedModel.start(Script.of(Rule.otherwise().reply(Turn.text("Hello from the script"))));

        List<JsonNode> chunks = stream(request("s1", true, "say hello"));

        JsonNode first = chunks.get(0).path("choices").get(0);
        assertThat(first.path("delta").path("role").asText()).isEqualTo("assistant");
        assertThat(text(chunks)).isEqualTo("Hello from the script");
        assertThat(finishReason(chunks)).isEqualTo("stop");
        JsonNode last = chunks.get(chunks.size() - 1);
        assertThat(last.path("choices")).isEmpty();
        assertThat(last.path("usage").path("prompt_tokens").asInt()).isEqualTo(100);
        assertThat(last.path("usage").path("completion_tokens").asInt()).isEqualTo(20);
        assertThat(last.path("usage").path("total_tokens").asInt()).isEqualTo(120);
    }

    @Test
    void repliesWithTheSequenceStepByStepAsToolResultsComeBack() throws Exception {
        model = ScriptedModel.start(Script.of(Rule.when(Match.promptContains("task c"))
                .reply(Turn.write("c.txt", "see\n"), Turn.bash("echo hi > out.txt"),
                        Turn.text("done").withUsage(7, 3))));

        ObjectNode body = request("s1", true, "please do task c");
        List<JsonNode> step0 = stream(body);
        JsonNode head = step0.get(0).path("choices").get(0).path("delta").path("tool_calls").get(0);
        assertThat(head.path("id").asText()).startsWith("call_");
        assertThat(head.path("function").path("name").asText()).isEqualTo("write");
        assertThat(JSON.readTree(arguments(step0))).isEqualTo(JSON.readTree("{\"filePath\":\"c.txt\",\"content\":\"see\\n\"}"));
        assertThat(finishReason(step0)).isEqualTo("tool_calls");

        appendToolRound(body, head.path("id").asText(), "write", arguments(step0), "Wrote file successfully.");
        List<JsonNode> step1 = stream(body);
        JsonNode bash = step1.get(0).path("choices").get(0).path("delta").path("tool_calls").get(0);
        assertThat(bash.path("function").path("name").asText()).isEqualTo("bash");
        assertThat(JSON.readTree(arguments(step1)).path("command").asText()).isEqualTo("echo hi > out.txt");

        appendToolRound(body, bash.path("id").asText(), "bash", arguments(step1), "(no output)");
        List<JsonNode> step2 = stream(body);
        assertThat(text(step2)).isEqualTo("done");
        assertThat(step2.get(step2.size() - 1).path("usage").path("prompt_tokens").asInt()).isEqualTo(7);

        appendToolRound(body, "call_x", "bash", "{}", "again");
        assertThat(text(stream(body))).isEqualTo("Done.");

        assertThat(model.requests()).extracting(RecordedRequest::step).containsExactly(0, 1, 2, 3);
    }

    @Test
    void firstMatchingRuleAnswersAndFeedbackSelectsTheFix() throws Exception {
        model = ScriptedModel.start(Script.of(
                Rule.when(Match.promptContains("task a").and(Match.promptContains("Reviewer feedback")))
                        .named("fix").reply(Turn.write("a.txt", "right\n")),
                Rule.when(Match.promptContains("task a")).named("first try").reply(Turn.write("a.txt", "wrong\n")),
                Rule.when(Match.promptContains("task b")).named("b").reply(Turn.text("b done"))));

        assertThat(JSON.readTree(arguments(stream(request("s1", true, "task a"))))
                .path("content").asText()).isEqualTo("wrong\n");
        assertThat(JSON.readTree(arguments(stream(request("s2", true, "task a\nReviewer feedback: use right"))))
                .path("content").asText()).isEqualTo("right\n");
        assertThat(text(stream(request("s3", true, "task b")))).isEqualTo("b done");
        assertThat(text(stream(request("s4", true, "task z")))).isEqualTo("No scripted rule matched.");
        assertThat(text(stream(request("s4", false, "task z")))).isEqualTo("Scripted task");

        assertThat(model.requests()).extracting(RecordedRequest::rule)
                .containsExactly("first try", "fix", "b", null, null);
        assertThat(model.requests(RecordedRequest::isTitleRequest)).hasSize(1);
        assertThat(model.agentRequests().get(1).prompt()).contains("Reviewer feedback");
    }

    @Test
    void failsTwiceWith429PerConversationThenSucceeds() throws Exception {
        model = ScriptedModel.start(Script.of(Rule.when(Match.hasTools()).failFirst(429, 2)
                .reply(Turn.text("finally"))));
        ObjectNode body = request("s1", true, "go");

        HttpResponse<String> first = send(body);
        HttpResponse<String> second = send(body);
        assertThat(first.statusCode()).isEqualTo(429);
        assertThat(first.headers().firstValue("retry-after-ms")).hasValue("0");
        assertThat(JSON.readTree(first.body()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(text(stream(body))).isEqualTo("finally");
        assertThat(send(request("s2", true, "go")).statusCode()).as("another conversation fails on its own")
                .isEqualTo(429);
        assertThat(model.requests()).extracting(RecordedRequest::status).containsExactly(429, 429, 200, 429);
    }

    @Test
    void answersWithoutStreamingWhenNotAsked() throws Exception {
        model = ScriptedModel.start(Script.of(Rule.otherwise().reply(Turn.bash("ls"))));
        HttpResponse<String> response = send(request("s1", false, "x").put("stream", false)
                .set("tools", tools()));
        JsonNode completion = JSON.readTree(response.body());
        JsonNode call = completion.path("choices").get(0).path("message").path("tool_calls").get(0);
        assertThat(call.path("function").path("name").asText()).isEqualTo("bash");
        assertThat(completion.path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(completion.path("usage").path("completion_tokens").asInt()).isEqualTo(20);
    }

    @Test
    void malformedToolCallsCarryInvalidJsonArguments() throws Exception {
        model = ScriptedModel.start(Script.of(Rule.otherwise().reply(Turn.malformedToolCall("write"))));
        List<JsonNode> chunks = stream(request("s1", true, "x"));
        assertThat(arguments(chunks)).startsWith("{").doesNotEndWith("}");
        assertThat(finishReason(chunks)).isEqualTo("tool_calls");
    }

    @Test
    void hangingStreamsNeverFinish() throws Exception {
        model = ScriptedModel.start(Script.of(Rule.otherwise().reply(Turn.hang())));
        HttpResponse<java.io.InputStream> response = HTTP.send(post(request("s1", true, "x")),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            List<String> lines = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 800;
            while (System.currentTimeMillis() < deadline) {
                String line = reader.readLine();
                if (line == null) {
                    break;
                }
                lines.add(line);
            }
            assertThat(String.join("\n", lines)).contains("Working on it").doesNotContain("finish_reason\":\"stop")
                    .doesNotContain("[DONE]");
        }
    }

    @Test
    void theJsonScriptBehavesLikeTheJavaOneAndRequestsAreServedOverHttp(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("script.json");
        Files.writeString(file, """
                {"usage": {"promptTokens": 11, "completionTokens": 5},
                 "rules": [
                   {"name": "c", "when": {"promptContains": "task c", "hasTools": true},
                    "failFirst": {"status": 429, "times": 1, "retryAfterMs": 0},
                    "reply": [{"text": "two at once", "calls": [{"write": {"path": "c.txt", "content": "c"}},
                                                                {"bash": "echo hi"}]},
                              {"plan": {"tasks": [{"id": "t1"}]}}]}
                 ]}
                """);
        model = ScriptedModel.start(Script.load(file));
        ObjectNode body = request("s1", true, "task c");
        assertThat(send(body).statusCode()).isEqualTo(429);
        List<JsonNode> step0 = stream(body);
        assertThat(text(step0)).isEqualTo("two at once");
        List<String> names = new ArrayList<>();
        for (JsonNode chunk : step0) {
            for (JsonNode call : chunk.path("choices").path(0).path("delta").path("tool_calls")) {
                if (call.has("id")) {
                    names.add(call.path("function").path("name").asText());
                }
            }
        }
        assertThat(names).containsExactly("write", "bash");
        assertThat(step0.get(step0.size() - 1).path("usage").path("prompt_tokens").asInt()).isEqualTo(11);
        appendToolRound(body, "call_1", "write", "{}", "ok");
        assertThat(JSON.readTree(text(stream(body)))).isEqualTo(JSON.readTree("{\"tasks\":[{\"id\":\"t1\"}]}"));

        HttpResponse<String> recorded = HTTP.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + model.port() + "/_scripted/requests")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode requests = JSON.readTree(recorded.body());
        assertThat(requests).hasSize(3);
        assertThat(requests.get(0).path("status").asInt()).isEqualTo(429);
        assertThat(requests.get(2).path("step").asInt()).isEqualTo(1);
        assertThat(requests.get(2).path("prompt").asText()).isEqualTo("task c");
        assertThat(requests.get(2).path("body").path("messages")).hasSize(4);

        HttpResponse<String> replaced = HTTP.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + model.port() + "/_scripted/script"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"rules\":[{\"reply\":\"replaced\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(replaced.statusCode()).isEqualTo(204);
        assertThat(text(stream(request("s2", true, "anything")))).isEqualTo("replaced");

        HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + model.port() + "/_scripted/requests"))
                .DELETE().build(), HttpResponse.BodyHandlers.discarding());
        assertThat(model.requests()).isEmpty();
    }

    @Test
    void takesTheScriptsDelayBeforeEveryAnswerAndARulesOrTurnsOwnDelayWins() throws Exception {
        model = ScriptedModel.start(Script.of(
                Rule.when(Match.promptContains("slow rule")).reply(Turn.text("slow"), Turn.text("fast").withDelay(Duration.ZERO))
                        .delay(Duration.ofMillis(700)),
                Rule.otherwise().reply(Turn.text("default")))
                .withDelay(Duration.ofMillis(300)));

        assertThat(timed(request("s0", true, "warm-up"))).isGreaterThanOrEqualTo(300L);
        assertThat(timed(request("s1", true, "anything"))).isBetween(300L, 699L);
        assertThat(model.requests()).hasSize(2);
        assertThat(timed(request("s2", true, "a slow rule"))).isGreaterThanOrEqualTo(700L);
        ObjectNode second = request("s3", true, "a slow rule");
        appendToolRound(second, "call_1", "bash", "{}", "ok");
        assertThat(timed(second)).as("the turn's own delay").isLessThan(300L);
        assertThat(timed(request("s4", false, "title please"))).as("title requests wait too").isGreaterThanOrEqualTo(300L);
    }

    @Test
    void delaysComeFromTheJsonScriptAtEachLevel() {
        Script script = Script.fromJson("""
                {"delayMs": 250,
                 "rules": [{"name": "r", "when": {"promptContains": "x"}, "delayMs": 1500,
                            "reply": [{"bash": "make", "delayMs": 40}, "done"]}]}""");
        Rule rule = script.rules().get(0);
        assertThat(script.delay()).isEqualTo(Duration.ofMillis(250));
        assertThat(script.delayOf(rule, 0)).isEqualTo(Duration.ofMillis(40));
        assertThat(script.delayOf(rule, 1)).isEqualTo(Duration.ofMillis(1500));
        assertThat(script.delayOf(rule, 5)).as("past the reply: the rule's").isEqualTo(Duration.ofMillis(1500));
        assertThat(script.delayOf(null, 0)).as("no rule: the script's").isEqualTo(Duration.ofMillis(250));
        assertThat(Script.fromJson("{\"rules\": []}").delay()).isZero();
    }

    @Test
    void closingTheModelEndsADelayAtOnce() throws Exception {
        model = ScriptedModel.start(Script.of(Rule.otherwise().reply(Turn.text("late"))).withDelay(Duration.ofSeconds(30)));
        var pending = HTTP.sendAsync(post(request("s1", true, "x")), HttpResponse.BodyHandlers.ofString());
        long deadline = System.currentTimeMillis() + 5000;
        while (model.requests().isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        long started = System.nanoTime();
        model.close();
        try {
            pending.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // the connection closed without an answer: fine
        }
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(3000L);
    }

    long timed(ObjectNode body) throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = send(body);
        assertThat(response.statusCode()).isEqualTo(200);
        return (System.nanoTime() - started) / 1_000_000;
    }

    @Test
    void listsItsModel() throws Exception {
        model = ScriptedModel.start(Script.of());
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(model.baseUrl() + "/models"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(response.body()).path("data").get(0).path("id").asText()).isEqualTo("coder");
    }

    @Test
    void keepsManyConcurrentConversationsApart() throws Exception {
        model = ScriptedModel.start(Script.of(Rule.when(Match.hasTools())
                .reply(Turn.bash("step one"), Turn.bash("step two"), Turn.text("finished"))));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                String session = "s" + i;
                results.add(pool.submit((Callable<String>) () -> {
                    ObjectNode body = request(session, true, "conversation " + session);
                    List<String> seen = new ArrayList<>();
                    for (int step = 0; step < 3; step++) {
                        List<JsonNode> chunks = stream(body);
                        if (finishReason(chunks).equals("stop")) {
                            seen.add(text(chunks));
                        } else {
                            seen.add(JSON.readTree(arguments(chunks)).path("command").asText());
                            appendToolRound(body, "call", "bash", arguments(chunks), "ok");
                        }
                    }
                    return String.join("|", seen);
                }));
            }
            for (Future<String> result : results) {
                assertThat(result.get()).isEqualTo("step one|step two|finished");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(model.requests()).hasSize(72);
    }

    // --- helpers: an OpenAI client as OpenCode's ai-sdk talks to the model ---

    static ArrayNode tools() {
        ArrayNode tools = JSON.createArrayNode();
        for (String name : List.of("bash", "edit", "read", "write")) {
            tools.addObject().put("type", "function").putObject("function").put("name", name);
        }
        return tools;
    }

    static ObjectNode request(String session, boolean withTools, String prompt) {
        ObjectNode body = JSON.createObjectNode().put("model", "coder").put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", "You are opencode");
        messages.addObject().put("role", "user").put("content", prompt);
        if (withTools) {
            body.set("tools", tools());
        }
        body.put("_session", session);
        return body;
    }

    static void appendToolRound(ObjectNode body, String callId, String name, String arguments, String result) {
        ArrayNode messages = (ArrayNode) body.path("messages");
        ObjectNode assistant = messages.addObject().put("role", "assistant").put("content", "");
        ObjectNode call = assistant.putArray("tool_calls").addObject().put("id", callId).put("type", "function");
        call.putObject("function").put("name", name).put("arguments", arguments);
        messages.addObject().put("role", "tool").put("tool_call_id", callId).put("content", result);
    }

    HttpRequest post(ObjectNode body) {
        ObjectNode copy = body.deepCopy();
        String session = copy.remove("_session").asText();
        return HttpRequest.newBuilder(URI.create(model.baseUrl() + "/chat/completions"))
                .header("content-type", "application/json").header("x-session-id", session)
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(copy.toString())).build();
    }

    HttpResponse<String> send(ObjectNode body) throws Exception {
        return HTTP.send(post(body), HttpResponse.BodyHandlers.ofString());
    }

    List<JsonNode> stream(ObjectNode body) throws Exception {
        HttpResponse<String> response = send(body);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        List<JsonNode> chunks = new ArrayList<>();
        boolean done = false;
        for (String line : response.body().split("\n")) {
            if (line.equals("data: [DONE]")) {
                done = true;
            } else if (line.startsWith("data: ")) {
                chunks.add(JSON.readTree(line.substring(6)));
            }
        }
        assertThat(done).as("stream ends with [DONE]").isTrue();
        return chunks;
    }

    static String text(List<JsonNode> chunks) {
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            JsonNode content = chunk.path("choices").path(0).path("delta").path("content");
            if (content.isTextual()) {
                text.append(content.asText());
            }
        }
        return text.toString();
    }

    static String arguments(List<JsonNode> chunks) {
        StringBuilder arguments = new StringBuilder();
        for (JsonNode chunk : chunks) {
            for (JsonNode call : chunk.path("choices").path(0).path("delta").path("tool_calls")) {
                if (call.path("index").asInt() == 0) {
                    arguments.append(call.path("function").path("arguments").asText());
                }
            }
        }
        return arguments.toString();
    }

    static String finishReason(List<JsonNode> chunks) {
        for (JsonNode chunk : chunks) {
            JsonNode reason = chunk.path("choices").path(0).path("finish_reason");
            if (reason.isTextual()) {
                return reason.asText();
            }
        }
        return null;
    }
}
