package io.opencodefleet.common.opencode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import io.smallrye.mutiny.Multi;

/**
 * OpenCode's HTTP API, typed, as far as the fleet uses it (its OpenAPI document: {@code GET /doc} on a server):
 * health, sessions scoped to a working directory (the {@code directory} query parameter), prompts that answer when the
 * agent's loop finishes, abort, a session's messages, and the event stream. Thread-safe; one client serves many
 * concurrent sessions.
 */
public class OpencodeClient {

    private static final Logger LOG = Logger.getLogger(OpencodeClient.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .serializationInclusion(JsonInclude.Include.NON_NULL).build();

    // What the endpoints take and answer, as far as the fleet reads it.
    record Health(boolean healthy, String version) {
    }

    record NewSession(String title) {
    }

    record Session(String id, String title) {
    }

    record Prompt(String agent, Model model, List<Part> parts) {
    }

    record Model(String providerID, String modelID) {
    }

    record Part(String type, String text, boolean synthetic) {
    }

    record Message(MessageInfo info, List<Part> parts) {
    }

    record MessageInfo(String id, String role, String parentID, TokenUsage tokens, double cost, String finish,
            AgentError error) {
        MessageInfo {
            tokens = tokens == null ? TokenUsage.ZERO : tokens;
        }
    }

    private final Supplier<OpencodeEndpoint> endpoint;
    /** Sessions said to have ended ({@link #sessionEnded}), oldest first, not deleted yet. */
    private final Deque<OpencodeSession> ended = new ArrayDeque<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A client of a fixed endpoint. */
    public OpencodeClient(OpencodeEndpoint endpoint) {
        this(() -> endpoint);
    }

    /** A client that asks for the endpoint on every request (a managed server moves when it restarts). */
    public OpencodeClient(Supplier<OpencodeEndpoint> endpoint) {
        this.endpoint = Objects.requireNonNull(endpoint);
    }

    /**
     * True when {@code GET /global/health} answers {@code healthy} within {@code timeout}. Always bounded: a server
     * that is still starting may accept the connection and never answer.
     */
    public boolean healthy(Duration timeout) {
        try {
            return await(send("GET", "/global/health", null, null, timeout, Health.class)).healthy();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The server's version, from {@code /global/health}. */
    public String version() {
        return await(send("GET", "/global/health", null, null, CALL_TIMEOUT, Health.class)).version();
    }

    /** {@code POST /session}: a session whose agent works in {@code directory}. */
    public OpencodeSession createSession(Path directory, String title) {
        Session session = await(send("POST", "/session", directory, new NewSession(title), Duration.ofSeconds(60), Session.class));
        return new OpencodeSession(session.id(), directory, session.title() != null ? session.title() : title);
    }

    /** {@link #promptAsync} with OpenCode's default agent, blocking until the agent's loop ends. */
    public PromptReply prompt(OpencodeSession session, String model, String text) {
        return await(promptAsync(session, model, null, text));
    }

    /**
     * {@code POST /session/{id}/message}: sends {@code text} to {@code agent} (null = OpenCode's default agent, else
     * e.g. {@link OpencodeServer#PLANNER_AGENT}) and answers when the agent's loop finishes, fails or is aborted
     * ({@link #abort}). Errors of the model (after OpenCode's own retries) come back in {@link PromptReply#error()},
     * not as exceptions.
     *
     * @param model {@code provider/model}, or null for the server's configured model
     */
    public CompletableFuture<PromptReply> promptAsync(OpencodeSession session, String model, String agent, String text) {
        Prompt prompt = new Prompt(agent, model(model), List.of(new Part("text", text, false)));
        return send("POST", "/session/" + session.id() + "/message", session.directory(), prompt, null, Message.class)
                .thenApply(reply -> reply(session, reply));
    }

    /** {@code POST /session/{id}/abort}: stops the agent; a pending prompt answers with an aborted reply. */
    public boolean abort(OpencodeSession session) {
        return Boolean.TRUE.equals(await(send("POST", "/session/" + session.id() + "/abort", session.directory(), null,
                CALL_TIMEOUT, Boolean.class)));
    }

    /**
     * Says that {@code session} ended, and deletes the sessions that ended before the {@code keep} most recent ones
     * ({@code DELETE /session/:id}, which takes their sub-sessions along): OpenCode's database keeps every session's
     * messages until then, so a long-lived server would grow on disk with every task. Only sessions said to have
     * ended are deleted, never a running one; one that cannot be deleted now (the server went away) is left there.
     */
    public void sessionEnded(OpencodeSession session, int keep) {
        List<OpencodeSession> expired = new ArrayList<>();
        synchronized (ended) {
            ended.addLast(session);
            while (ended.size() > Math.max(0, keep)) {
                expired.add(ended.removeFirst());
            }
        }
        for (OpencodeSession old : expired) {
            try {
                await(send("DELETE", "/session/" + old.id(), null, null, CALL_TIMEOUT, Boolean.class));
            } catch (OpencodeException e) {
                LOG.debugf("Session %s was not deleted: %s", old.id(), e.getMessage());
            }
        }
    }

    /**
     * Deletes every session the server holds for {@code directory} ({@code GET /session}, then {@code DELETE} each);
     * returns how many. A session that cannot be deleted fails the call: what it holds must not outlive it.
     */
    public int deleteSessions(Path directory) {
        Session[] sessions = await(send("GET", "/session", directory, null, CALL_TIMEOUT, Session[].class));
        if (sessions == null) {
            return 0;
        }
        for (Session session : sessions) {
            await(send("DELETE", "/session/" + session.id(), directory, null, CALL_TIMEOUT, Boolean.class));
        }
        synchronized (ended) {
            ended.clear();
        }
        return sessions.length;
    }

    /** {@code GET /session/{id}/message}: every message of the session with its parts. */
    List<Message> messages(OpencodeSession session) {
        return List.of(await(send("GET", "/session/" + session.id() + "/message", session.directory(), null, CALL_TIMEOUT,
                Message[].class)));
    }

    /**
     * {@code GET /global/event}: the events of every directory, beginning with {@code server.connected}. Each
     * subscription opens a stream of its own, follows the server to its current endpoint and reconnects (with back-off)
     * whenever the stream breaks or ends, until it is cancelled.
     */
    public Multi<OpencodeEvent> events() {
        return Multi.createFrom().completionStage(() -> http.sendAsync(request("/global/event", null)
                        .header("accept", "text/event-stream").GET().build(), response -> response.statusCode() == 200
                                ? BodySubscribers.ofPublisher() : BodySubscribers.replacing(null)))
                .onItem().transformToMultiAndConcatenate(response -> response.statusCode() == 200
                        ? Multi.createFrom().publisher(response.body()).onItem().transformToIterable(lines())
                        : Multi.createFrom().failure(new OpencodeException(
                                "GET /global/event answered " + response.statusCode(), response.statusCode(), null)))
                // OpenCode writes each event as one line "data: <json>" (JSON.stringify never breaks a line).
                .onItem().transformToIterable(line -> line.startsWith("data:") ? OpencodeEvent.parse(line.substring(5)) : List.of())
                .onCompletion().failWith(() -> new OpencodeException("the OpenCode event stream ended"))
                .onFailure().invoke(e -> LOG.debugf("OpenCode event stream interrupted (%s); reconnecting", e.getMessage()))
                .onFailure().retry().withBackOff(Duration.ofMillis(100), Duration.ofSeconds(2)).indefinitely();
    }

    private PromptReply reply(OpencodeSession session, Message reply) {
        MessageInfo last = reply.info();
        String text = reply.parts().stream().filter(part -> "text".equals(part.type()) && !part.synthetic())
                .map(part -> Objects.toString(part.text(), "")).collect(Collectors.joining("\n"));
        // The reply is the last step only; the prompt's usage is the sum over all its assistant messages.
        List<MessageInfo> steps = List.of(last);
        if (last.parentID() != null) {
            try {
                List<MessageInfo> all = messages(session).stream().map(Message::info)
                        .filter(info -> "assistant".equals(info.role()) && last.parentID().equals(info.parentID())).toList();
                steps = all.isEmpty() ? steps : all;
            } catch (OpencodeException e) {
                LOG.warnf("could not read the messages of session %s for usage, reporting the last step only: %s",
                        session.id(), e.getMessage());
            }
        }
        return new PromptReply(session.id(), last.id(), text, steps.stream().map(MessageInfo::tokens).reduce(TokenUsage.ZERO,
                TokenUsage::plus), steps.stream().mapToDouble(MessageInfo::cost).sum(), steps.size(), last.finish(), last.error());
    }

    private static Model model(String model) {
        if (model == null || model.isBlank()) {
            return null;
        }
        int slash = model.indexOf('/');
        if (slash <= 0 || slash == model.length() - 1) {
            throw new IllegalArgumentException("a model is named provider/model, not '" + model + "'");
        }
        return new Model(model.substring(0, slash), model.substring(slash + 1));
    }

    /** One call: JSON in and out; an answer other than 2xx, or none, fails with an {@link OpencodeException}. */
    private <T> CompletableFuture<T> send(String method, String path, Path directory, Object body, Duration timeout,
            Class<T> type) {
        HttpRequest request;
        try {
            HttpRequest.Builder builder = request(path, directory);
            if (timeout != null) {
                builder.timeout(timeout);
            }
            request = (body == null ? builder.method(method, HttpRequest.BodyPublishers.noBody())
                    : builder.header("content-type", "application/json")
                            .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))).build();
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e instanceof OpencodeException ? e
                    : new OpencodeException(method + " " + path + " failed: " + e.getMessage(), e));
        }
        return http.sendAsync(request, BodyHandlers.ofString()).handle((response, failure) -> {
            if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                throw new OpencodeException(method + " " + request.uri() + " failed: " + cause, cause);
            }
            if (response.statusCode() / 100 != 2) {
                throw new OpencodeException(method + " " + path + " answered " + response.statusCode() + ": "
                        + abbreviate(response.body()), response.statusCode(), null);
            }
            try {
                return response.body().isBlank() ? null : JSON.readValue(response.body(), type);
            } catch (IOException e) {
                throw new OpencodeException(method + " " + path + " answered non-JSON: " + abbreviate(response.body()),
                        response.statusCode(), e);
            }
        });
    }

    private HttpRequest.Builder request(String path, Path directory) {
        OpencodeEndpoint current = endpoint.get();
        String query = directory == null ? ""
                : "?directory=" + URLEncoder.encode(directory.toAbsolutePath().toString(), StandardCharsets.UTF_8);
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(current.baseUri() + path + query));
        String authorization = current.authorization();
        return authorization == null ? builder : builder.header("authorization", authorization);
    }

    private static <T> T await(CompletableFuture<T> call) {
        try {
            return call.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            call.cancel(true);
            throw new OpencodeException("interrupted while waiting for OpenCode", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime
                    : new OpencodeException("OpenCode request failed: " + e.getCause(), e.getCause());
        }
    }

    /** Splits a body that arrives in chunks into lines (in UTF-8 a newline byte is never part of another character). */
    private static Function<List<ByteBuffer>, List<String>> lines() {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        return chunk -> {
            List<String> lines = new ArrayList<>();
            for (ByteBuffer buffer : chunk) {
                while (buffer.hasRemaining()) {
                    byte next = buffer.get();
                    if (next == '\n') {
                        lines.add(line.toString(StandardCharsets.UTF_8).stripTrailing());
                        line.reset();
                    } else {
                        line.write(next);
                    }
                }
            }
            return lines;
        };
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() > 500 ? text.substring(0, 500) + "..." : text;
    }
}
