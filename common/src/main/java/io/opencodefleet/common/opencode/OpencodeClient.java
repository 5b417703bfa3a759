package io.opencodefleet.common.opencode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * OpenCode's HTTP API, as a worker uses it: sessions scoped to a working directory (the {@code directory}
 * query parameter), prompts that answer when the agent's loop finishes, abort, health and the event stream.
 * Thread-safe; one client serves many concurrent sessions.
 */
public class OpencodeClient {

    private static final Logger LOG = Logger.getLogger(OpencodeClient.class);
    static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<OpencodeEndpoint> endpoint;
    private final HttpClient http;

    /** A client of a fixed endpoint. */
    public OpencodeClient(OpencodeEndpoint endpoint) {
        this(() -> endpoint);
    }

    /** A client that asks for the endpoint on every request (an {@link OpencodeServer} moves when it restarts). */
    public OpencodeClient(Supplier<OpencodeEndpoint> endpoint) {
        this.endpoint = Objects.requireNonNull(endpoint);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    public OpencodeEndpoint endpoint() {
        return endpoint.get();
    }

    /**
     * True when {@code GET /global/health} answers {@code healthy} within {@code timeout}. Always bounded: a
     * server that is still starting may accept the connection and never answer.
     */
    public boolean healthy(Duration timeout) {
        try {
            HttpResponse<String> response = http.send(request("GET", "/global/health", null).timeout(timeout)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && JSON.readTree(response.body()).path("healthy").asBoolean();
        } catch (IOException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The server's version, from {@code /global/health}. */
    public String version() {
        return call("GET", "/global/health", null, null, Duration.ofSeconds(10)).path("version").asText();
    }

    /** {@code POST /session}: a session whose agent works in {@code directory}. */
    public OpencodeSession createSession(Path directory, String title) {
        ObjectNode body = JSON.createObjectNode();
        if (title != null) {
            body.put("title", title);
        }
        JsonNode session = call("POST", "/session", directory, body, Duration.ofSeconds(60));
        return new OpencodeSession(session.path("id").asText(), directory, session.path("title").asText(title));
    }

    /** {@link #prompt(String, Path, String, String)} for a session. */
    public PromptReply prompt(OpencodeSession session, String model, String text) {
        return prompt(session.id(), session.directory(), model, text);
    }

    /**
     * {@code POST /session/{id}/message}: sends {@code text} and blocks until the agent's loop finishes, fails
     * or is aborted ({@link #abort}). Errors of the model (after OpenCode's own retries) come back in
     * {@link PromptReply#error()}, not as exceptions.
     *
     * @param model {@code provider/model}, or null for the server's configured model
     */
    public PromptReply prompt(String sessionId, Path directory, String model, String text) {
        try {
            return promptAsync(sessionId, directory, model, text).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpencodeException("interrupted while the agent worked on session " + sessionId, e);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    /** {@link #prompt(String, Path, String, String)} without blocking a thread while the agent works. */
    public CompletableFuture<PromptReply> promptAsync(String sessionId, Path directory, String model, String text) {
        return promptAsync(sessionId, directory, model, null, text);
    }

    /**
     * As {@link #promptAsync(String, Path, String, String)}, answered by the named agent (e.g.
     * {@link OpencodeServer#PLANNER_AGENT}); null = OpenCode's default agent.
     */
    public CompletableFuture<PromptReply> promptAsync(String sessionId, Path directory, String model, String agent, String text) {
        ObjectNode body = JSON.createObjectNode();
        if (agent != null) {
            body.put("agent", agent);
        }
        if (model != null && !model.isBlank()) {
            int slash = model.indexOf('/');
            if (slash <= 0 || slash == model.length() - 1) {
                throw new IllegalArgumentException("a model is named provider/model, not '" + model + "'");
            }
            body.putObject("model").put("providerID", model.substring(0, slash))
                    .put("modelID", model.substring(slash + 1));
        }
        body.putArray("parts").addObject().put("type", "text").put("text", text);
        HttpRequest request = request("POST", "/session/" + sessionId + "/message", directory)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> parse(request, response))
                .thenApply(reply -> toPromptReply(sessionId, directory, reply));
    }

    /** {@code POST /session/{id}/abort}: stops the agent; a pending prompt answers with an aborted reply. */
    public boolean abort(String sessionId, Path directory) {
        return call("POST", "/session/" + sessionId + "/abort", directory, null, Duration.ofSeconds(30))
                .asBoolean(false);
    }

    /** {@code GET /session/{id}}: the session, with its cumulative {@code tokens} and {@code cost}. */
    public JsonNode session(String sessionId, Path directory) {
        return call("GET", "/session/" + sessionId, directory, null, Duration.ofSeconds(30));
    }

    /** {@code GET /session/{id}/message}: every message with its parts. */
    public JsonNode messages(String sessionId, Path directory) {
        return call("GET", "/session/" + sessionId + "/message", directory, null, Duration.ofSeconds(30));
    }

    /** {@code DELETE /session/{id}}: forgets a session (its messages and snapshots). */
    public void deleteSession(String sessionId, Path directory) {
        call("DELETE", "/session/" + sessionId, directory, null, Duration.ofSeconds(30));
    }

    /**
     * Opens {@code GET /global/event} (every directory's events) and delivers them to listeners; reconnects
     * until closed. Register per-session listeners with {@link OpencodeEventStream#forSession}.
     */
    public OpencodeEventStream openEventStream() {
        return new OpencodeEventStream(this);
    }

    private PromptReply toPromptReply(String sessionId, Path directory, JsonNode reply) {
        JsonNode info = reply.path("info");
        StringBuilder text = new StringBuilder();
        for (JsonNode part : reply.path("parts")) {
            if ("text".equals(part.path("type").asText()) && !part.path("synthetic").asBoolean(false)) {
                if (text.length() > 0) {
                    text.append('\n');
                }
                text.append(part.path("text").asText());
            }
        }
        TokenUsage usage = TokenUsage.fromJson(info.path("tokens"));
        double cost = info.path("cost").asDouble();
        int steps = 1;
        String userMessageId = info.path("parentID").asText(null);
        if (userMessageId != null) {
            // The reply is the last step only; the prompt's usage is the sum over all its assistant messages.
            try {
                TokenUsage sum = TokenUsage.ZERO;
                double costs = 0;
                int count = 0;
                for (JsonNode message : messages(sessionId, directory)) {
                    JsonNode each = message.path("info");
                    if ("assistant".equals(each.path("role").asText())
                            && userMessageId.equals(each.path("parentID").asText())) {
                        sum = sum.plus(TokenUsage.fromJson(each.path("tokens")));
                        costs += each.path("cost").asDouble();
                        count++;
                    }
                }
                if (count > 0) {
                    usage = sum;
                    cost = costs;
                    steps = count;
                }
            } catch (OpencodeException e) {
                LOG.warnf("could not read the messages of session %s for usage, reporting the last step only: %s",
                        sessionId, e.getMessage());
            }
        }
        return new PromptReply(sessionId, info.path("id").asText(null), text.toString(), usage, cost, steps,
                info.path("finish").asText(null), AgentError.fromJson(info.path("error")));
    }

    JsonNode call(String method, String path, Path directory, JsonNode body, Duration timeout) {
        HttpRequest.Builder builder = request(method, path, directory).timeout(timeout);
        if (body != null) {
            builder.header("content-type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpRequest request = builder.build();
        try {
            return parse(request, http.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new OpencodeException(method + " " + request.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpencodeException(method + " " + request.uri() + " interrupted", e);
        }
    }

    HttpResponse<InputStream> openStream(String path) throws IOException, InterruptedException {
        HttpRequest request = request("GET", path, null).header("accept", "text/event-stream").GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    }

    HttpRequest.Builder request(String method, String path, Path directory) {
        OpencodeEndpoint current = endpoint.get();
        String query = directory == null ? ""
                : "?directory=" + URLEncoder.encode(directory.toAbsolutePath().toString(), StandardCharsets.UTF_8);
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(current.baseUri() + path + query));
        String authorization = current.authorization();
        if (authorization != null) {
            builder.header("authorization", authorization);
        }
        return builder;
    }

    private static JsonNode parse(HttpRequest request, HttpResponse<String> response) {
        if (response.statusCode() / 100 != 2) {
            throw new OpencodeException(request.method() + " " + request.uri().getPath() + " answered "
                    + response.statusCode() + ": " + abbreviate(response.body()), response.statusCode(), null);
        }
        try {
            String body = response.body();
            return body == null || body.isBlank() ? JSON.nullNode() : JSON.readTree(body);
        } catch (IOException e) {
            throw new OpencodeException(request.method() + " " + request.uri().getPath() + " answered non-JSON: "
                    + abbreviate(response.body()), response.statusCode(), e);
        }
    }

    private static RuntimeException unwrap(Throwable cause) {
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        return new OpencodeException("OpenCode request failed: " + cause, cause);
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() > 500 ? text.substring(0, 500) + "..." : text;
    }
}
