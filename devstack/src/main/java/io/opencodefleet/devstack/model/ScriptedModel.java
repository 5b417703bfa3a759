package io.opencodefleet.devstack.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An OpenAI-compatible model on loopback whose answers follow a {@link Script}, so a real OpenCode edits files,
 * runs bash and finishes, deterministically and offline.
 *
 * <pre>{@code
 * try (ScriptedModel model = ScriptedModel.start(Script.of(
 *         Rule.when(Match.promptContains("task c"))
 *             .reply(Turn.write("c.txt", "hello\n"), Turn.bash("echo hi > out.txt"), Turn.text("done"))))) {
 *     String baseUrl = model.baseUrl();       // http://127.0.0.1:PORT/v1
 *     ...
 *     assertThat(model.agentRequests()).anySatisfy(r -> assertThat(r.prompt()).contains("feedback"));
 * }
 * }</pre>
 *
 * <p>Endpoints: {@code GET /v1/models}, {@code POST /v1/chat/completions} (streaming SSE or not, as asked),
 * {@code GET /_scripted/requests} (recorded requests as JSON), {@code DELETE /_scripted/requests},
 * {@code PUT /_scripted/script} (replace the script with its JSON form), {@code GET /_scripted/health}.
 * Thread-safe; any number of concurrent conversations. A script may make the model take time before each
 * answer ({@link Script#withDelay}, {@link Rule#delay}, {@link Turn#withDelay}; {@code "delayMs"} in JSON), so work
 * is in flight for a while (chaos tests) or every call costs the same (benchmarks).
 */
public final class ScriptedModel implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ScriptedModel.class);
    /** Model id listed by {@code /v1/models}; any model id is accepted. */
    public static final String MODEL_ID = "coder";
    /** Where it listens unless told otherwise. */
    public static final String LOOPBACK = "127.0.0.1";
    /** {@link #main}'s option for the address to listen on. */
    public static final String HOST_OPTION = "--host=";

    private final HttpServer server;
    private final ExecutorService executor;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> failuresServed = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong callIds = new AtomicLong();
    private volatile Script script;

    private ScriptedModel(InetAddress address, int port, Script script) throws IOException {
        this.script = script;
        this.server = HttpServer.create(new InetSocketAddress(address, port), 64);
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "scripted-model-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts a model on a free loopback port. */
    public static ScriptedModel start(Script script) {
        return start(0, script);
    }

    /** Starts a model on {@code port} (0 = any free port) of 127.0.0.1. */
    public static ScriptedModel start(int port, Script script) {
        return start(LOOPBACK, port, script);
    }

    /**
     * Starts a model on {@code host:port} (0 = any free port): an address of this machine, e.g. a test network
     * host's, where other hosts reach it; {@link #baseUrl()} names that address.
     */
    public static ScriptedModel start(String host, int port, Script script) {
        try {
            return new ScriptedModel(InetAddress.getByName(host), port, script);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the scripted model on " + host + ":" + port, e);
        }
    }

    /**
     * Runs a model as its own process: {@code ScriptedModel [--host=<address>] <port> [script.json]} (on 127.0.0.1
     * unless {@code --host} names another address of this machine). Prints {@code scripted model listening on
     * <baseUrl>} once it serves, and runs until killed.
     */
    public static void main(String[] options) throws InterruptedException {
        String host = LOOPBACK;
        List<String> positional = new java.util.ArrayList<>();
        for (String option : options) {
            if (option.startsWith(HOST_OPTION)) {
                host = option.substring(HOST_OPTION.length());
            } else {
                positional.add(option);
            }
        }
        String[] args = positional.toArray(String[]::new);
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: ScriptedModel [--host=<address>] <port> [script.json]");
            System.exit(2);
        }
        Script script = args.length == 2 ? Script.load(Path.of(args[1])) : Script.of();
        ScriptedModel model = start(host, Integer.parseInt(args[0]), script);
        Runtime.getRuntime().addShutdownHook(new Thread(model::close));
        System.out.println("scripted model listening on " + model.baseUrl());
        System.out.flush();
        model.closed.await();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The OpenAI base URL, {@code http://127.0.0.1:PORT/v1} (the address it listens on). */
    public String baseUrl() {
        return "http://" + host() + ":" + port() + "/v1";
    }

    /** The address it listens on. */
    public String host() {
        InetAddress address = server.getAddress().getAddress();
        return address.isLoopbackAddress() || address.isAnyLocalAddress() ? LOOPBACK : address.getHostAddress();
    }

    public Script script() {
        return script;
    }

    /** Replaces the script; failure counters start again. */
    public void setScript(Script script) {
        this.script = script;
        failuresServed.clear();
    }

    /** Every chat completion request so far, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** The requests of agent steps (they offer tools), without OpenCode's title requests. */
    public List<RecordedRequest> agentRequests() {
        return requests(RecordedRequest::hasTools);
    }

    public List<RecordedRequest> requests(Predicate<RecordedRequest> filter) {
        return requests.stream().filter(filter).toList();
    }

    public void clearRequests() {
        requests.clear();
    }

    @Override
    public void close() {
        if (closed.getCount() == 0) {
            return;
        }
        closed.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (path.endsWith("/chat/completions") && method.equals("POST")) {
                chatCompletion(exchange);
            } else if (path.endsWith("/models") && method.equals("GET")) {
                ObjectNode list = Turn.JSON.createObjectNode().put("object", "list");
                list.putArray("data").addObject().put("id", MODEL_ID).put("object", "model")
                        .put("owned_by", "scripted");
                sendJson(exchange, 200, list);
            } else if (path.equals("/_scripted/requests") && method.equals("GET")) {
                ArrayNode array = Turn.JSON.createArrayNode();
                requests.forEach(request -> array.add(request.toJson()));
                sendJson(exchange, 200, array);
            } else if (path.equals("/_scripted/requests") && method.equals("DELETE")) {
                requests.clear();
                exchange.sendResponseHeaders(204, -1);
            } else if (path.equals("/_scripted/script") && (method.equals("PUT") || method.equals("POST"))) {
                setScript(Script.fromJson(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
                exchange.sendResponseHeaders(204, -1);
            } else if (path.equals("/_scripted/health")) {
                sendJson(exchange, 200, Turn.JSON.createObjectNode().put("healthy", true));
            } else {
                sendJson(exchange, 404, error("no such endpoint: " + method + " " + path, "not_found"));
            }
        } catch (IllegalArgumentException e) {
            sendJson(exchange, 400, error(e.getMessage(), "invalid_request_error"));
        } catch (IOException e) {
            LOG.debugf("client went away: %s", e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("scripted model failed to answer", e);
        }
    }

    private void chatCompletion(HttpExchange exchange) throws IOException {
        JsonNode body;
        try (InputStream in = exchange.getRequestBody()) {
            body = Turn.JSON.readTree(in);
        }
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("authorization")) {
                headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values));
            }
        });
        Conversation conversation = Conversation.of(body, headers);
        Script current = script;
        Rule rule = current.ruleFor(conversation);
        Turn turn;
        int failStatus = 0;
        long retryAfterMs = -1;
        if (rule == null) {
            turn = conversation.hasTools() ? Turn.text("No scripted rule matched.") : Turn.text("Scripted task");
        } else {
            turn = rule.turnAt(conversation.step());
            if (rule.failStatus() > 0 && rule.failTimes() > 0) {
                String key = System.identityHashCode(rule) + "|" + conversation.key();
                int served = failuresServed.computeIfAbsent(key, k -> new AtomicInteger()).getAndIncrement();
                if (served < rule.failTimes()) {
                    failStatus = rule.failStatus();
                    retryAfterMs = rule.retryAfterMs();
                }
            }
            if (failStatus == 0 && turn.errorStatus() > 0) {
                failStatus = turn.errorStatus();
            }
        }
        int status = failStatus > 0 ? failStatus : 200;
        requests.add(new RecordedRequest(sequence.incrementAndGet(), Instant.now(), headers, conversation,
                rule == null ? null : rule.name(), status));
        LOG.debugf("conversation %s step %d tools=%s -> rule %s, status %d", conversation.key(),
                conversation.step(), conversation.hasTools(), rule == null ? "-" : rule.name(), status);
        // The model's "thinking" time: the request is recorded (work is in flight), the answer comes later.
        Duration delay = current.delayOf(rule, conversation.step());
        if (!delay.isZero() && !pause(delay)) {
            return; // closed meanwhile
        }
        if (failStatus > 0) {
            if (retryAfterMs >= 0) {
                exchange.getResponseHeaders().add("retry-after-ms", Long.toString(retryAfterMs));
                exchange.getResponseHeaders().add("retry-after", Long.toString((retryAfterMs + 999) / 1000));
            }
            // OpenCode retries by status and by words in the message: only 429 and 5xx read as transient.
            if (failStatus == 429) {
                sendJson(exchange, failStatus, error("Rate limit exceeded (scripted)", "rate_limit_error"));
            } else if (failStatus >= 500) {
                sendJson(exchange, failStatus, error("Scripted server failure " + failStatus, "server_error"));
            } else {
                sendJson(exchange, failStatus, error("Scripted rejection, HTTP " + failStatus,
                        "invalid_request_error"));
            }
            return;
        }
        Turn.Usage usage = current.usageOf(turn);
        String id = "chatcmpl-" + sequence.get();
        if (conversation.streaming()) {
            stream(exchange, id, turn, usage);
        } else {
            sendJson(exchange, 200, completion(id, turn, usage));
        }
    }

    private void stream(HttpExchange exchange, String id, Turn turn, Turn.Usage usage) throws IOException {
        exchange.getResponseHeaders().add("content-type", "text/event-stream");
        exchange.getResponseHeaders().add("cache-control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        boolean first = true;
        if (turn.text() != null && !turn.text().isEmpty()) {
            String text = turn.text();
            for (int start = 0; start < text.length(); start += 64) {
                ObjectNode delta = Turn.JSON.createObjectNode();
                if (first) {
                    delta.put("role", "assistant");
                    first = false;
                }
                delta.put("content", text.substring(start, Math.min(text.length(), start + 64)));
                send(out, chunk(id, delta, null));
            }
        }
        if (turn.hangs()) {
            hang(out);
            return;
        }
        List<Turn.ToolCall> calls = turn.toolCalls();
        for (int index = 0; index < calls.size(); index++) {
            Turn.ToolCall call = calls.get(index);
            ObjectNode delta = Turn.JSON.createObjectNode();
            if (first) {
                delta.put("role", "assistant");
                first = false;
            }
            ObjectNode head = delta.putArray("tool_calls").addObject();
            head.put("index", index).put("id", "call_" + callIds.incrementAndGet()).put("type", "function");
            head.putObject("function").put("name", call.name()).put("arguments", "");
            send(out, chunk(id, delta, null));
            String arguments = call.arguments();
            int half = arguments.length() / 2;
            for (String piece : new String[] {arguments.substring(0, half), arguments.substring(half)}) {
                if (piece.isEmpty()) {
                    continue;
                }
                ObjectNode more = Turn.JSON.createObjectNode();
                more.putArray("tool_calls").addObject().put("index", index).putObject("function").put("arguments",
                        piece);
                send(out, chunk(id, more, null));
            }
        }
        send(out, chunk(id, Turn.JSON.createObjectNode(), calls.isEmpty() ? "stop" : "tool_calls"));
        ObjectNode usageChunk = base(id);
        usageChunk.putArray("choices");
        usageChunk.set("usage", usage(usage));
        send(out, usageChunk);
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Waits {@code delay}; false when the model was closed (or the thread interrupted) meanwhile. */
    private boolean pause(Duration delay) {
        try {
            return !closed.await(delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Keeps the stream open without finishing it until the client leaves or the model closes. */
    private void hang(OutputStream out) throws IOException {
        try {
            while (!closed.await(250, TimeUnit.MILLISECONDS)) {
                out.write(": still thinking\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ObjectNode completion(String id, Turn turn, Turn.Usage usage) {
        ObjectNode node = base(id).put("object", "chat.completion");
        ObjectNode choice = node.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", turn.text());
        if (turn.hasToolCalls()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (Turn.ToolCall call : turn.toolCalls()) {
                ObjectNode each = calls.addObject();
                each.put("id", "call_" + callIds.incrementAndGet()).put("type", "function");
                each.putObject("function").put("name", call.name()).put("arguments", call.arguments());
            }
        }
        choice.put("finish_reason", turn.hasToolCalls() ? "tool_calls" : "stop");
        node.set("usage", usage(usage));
        return node;
    }

    private static ObjectNode base(String id) {
        ObjectNode node = Turn.JSON.createObjectNode();
        node.put("id", id).put("object", "chat.completion.chunk").put("created", Instant.now().getEpochSecond())
                .put("model", MODEL_ID);
        return node;
    }

    private static ObjectNode chunk(String id, ObjectNode delta, String finishReason) {
        ObjectNode node = base(id);
        ObjectNode choice = node.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return node;
    }

    private static ObjectNode usage(Turn.Usage usage) {
        return Turn.JSON.createObjectNode().put("prompt_tokens", usage.promptTokens())
                .put("completion_tokens", usage.completionTokens()).put("total_tokens", usage.totalTokens());
    }

    private static ObjectNode error(String message, String type) {
        ObjectNode node = Turn.JSON.createObjectNode();
        node.putObject("error").put("message", message).put("type", type).put("code", type);
        return node;
    }

    private static void send(OutputStream out, JsonNode event) throws IOException {
        out.write(("data: " + Turn.JSON.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = Turn.JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("content-type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public String toString() {
        return "ScriptedModel[" + baseUrl() + ", " + requests.size() + " requests]";
    }
}
