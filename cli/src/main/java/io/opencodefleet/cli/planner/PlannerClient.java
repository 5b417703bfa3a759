package io.opencodefleet.cli.planner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.common.messages.FleetJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** The planner's REST API ({@code /api/v1/missions}), with failures turned into messages a person understands. */
public final class PlannerClient {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI baseUrl;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();

    /** A client of the planner at {@code baseUrl} that sends {@code token} (may be null) as its bearer token. */
    public PlannerClient(URI baseUrl, String token) {
        String text = baseUrl.toString();
        this.baseUrl = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.token = token;
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /** Submits a mission (the fleet.missions JSON) and returns the mission as the planner accepted it. */
    public JsonNode submit(String missionJson) {
        HttpResponse<String> response = send(request("/api/v1/missions")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(missionJson)).build());
        if (response.statusCode() == 400) {
            throw new CommandFailure(ExitCode.INVALID, "the planner rejected the mission: " + errorText(response));
        }
        return json(expectOk(response, null));
    }

    public JsonNode missions(String status, int limit) {
        String query = "?limit=" + limit + (status == null ? "" : "&status=" + URLEncoder.encode(status, StandardCharsets.UTF_8));
        return json(expectOk(send(request("/api/v1/missions" + query).GET().build()), null));
    }

    public JsonNode mission(String id) {
        return json(expectOk(send(request(missionPath(id)).GET().build()), id));
    }

    public JsonNode cancel(String id) {
        return post(missionPath(id) + "/cancel", null, id);
    }

    public JsonNode resume(String id, String guidance) {
        ObjectNode body = FleetJson.MAPPER.createObjectNode();
        if (guidance != null) {
            body.put("guidance", guidance);
        }
        return post(missionPath(id) + "/resume", body.toString(), id);
    }

    public JsonNode retry(String id, String taskId) {
        return post(missionPath(id) + "/tasks/" + URLEncoder.encode(taskId, StandardCharsets.UTF_8) + "/retry", null, id);
    }

    /**
     * Follows the mission's Server-Sent Events (past events first, then live ones), handing each event's JSON
     * to {@code onEvent} until it returns false or the planner ends the stream (after a terminal event).
     * Returns true when the stream ended or the consumer stopped, false when the connection broke. With
     * {@code afterSeq} above 0 the planner resumes after that event ({@code Last-Event-ID}).
     */
    public boolean followEvents(String id, long afterSeq, Predicate<JsonNode> onEvent) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(baseUrl.resolve(missionPath(id) + "/events")).header("accept", "text/event-stream");
        if (afterSeq > 0) {
            builder.header("Last-Event-ID", Long.toString(afterSeq));
        }
        HttpRequest request = authorized(builder).GET().build();
        HttpResponse<Stream<String>> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(ExitCode.UNREACHABLE, "interrupted");
        }
        if (response.statusCode() != 200) {
            String body;
            try (Stream<String> lines = response.body()) {
                body = String.join("\n", lines.toList());
            }
            expectOk(response, body, id);
        }
        try (Stream<String> lines = response.body()) {
            Iterator<String> iterator = lines.iterator();
            while (iterator.hasNext()) {
                String line = iterator.next();
                if (line.startsWith("data:") && !onEvent.test(json(line.substring(5).strip()))) {
                    return true;
                }
            }
            return true;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    private JsonNode post(String path, String jsonBody, String missionId) {
        HttpRequest.Builder builder = request(path).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody == null ? "{}" : jsonBody));
        HttpResponse<String> response = send(builder.build());
        if (response.statusCode() == 400 || response.statusCode() == 409) {
            throw new CommandFailure(ExitCode.INVALID, errorText(response));
        }
        return json(expectOk(response, missionId));
    }

    private static String missionPath(String id) {
        return "/api/v1/missions/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
    }

    private HttpRequest.Builder request(String path) {
        return authorized(HttpRequest.newBuilder(baseUrl.resolve(path)).timeout(REQUEST_TIMEOUT).header("accept", "application/json"));
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder builder) {
        return token == null ? builder : builder.header("authorization", "Bearer " + token);
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(ExitCode.UNREACHABLE, "interrupted while talking to the planner at " + baseUrl);
        }
    }

    private CommandFailure unreachable(IOException e) {
        String why = e instanceof ConnectException || e instanceof HttpConnectTimeoutException
                ? "nothing answers there" : String.valueOf(e.getMessage());
        return new CommandFailure(ExitCode.UNREACHABLE, "cannot reach the planner at " + baseUrl + " (" + why + ").\n"
                + "  Start a local fleet with `bin/fleet up`, or point --planner / FLEET_PLANNER_URL at a running planner.");
    }

    private static String expectOk(HttpResponse<String> response, String missionId) {
        return expectOk(response, response.body(), missionId);
    }

    private static String expectOk(HttpResponse<?> response, String body, String missionId) {
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return body;
        }
        URI url = response.request().uri();
        if (status == 401 || status == 403) {
            throw new CommandFailure(ExitCode.NOT_AUTHORIZED, "the planner at " + url.resolve("/") + " refused the call (HTTP " + status + "): "
                    + errorText(body) + "\n  Set FLEET_TOKEN to a token it trusts with the role this verb needs (a local fleet's own is"
                    + " used by itself: <state dir>/api/token).");
        }
        if (status == 404 && missionId != null && errorText(body).contains("no mission")) {
            throw new CommandFailure(ExitCode.NOT_FOUND, "no mission with id '" + missionId + "' at "
                    + url.resolve("/") + " (`bin/fleet list` shows the missions).");
        }
        throw new CommandFailure(status == 404 ? ExitCode.NOT_FOUND : ExitCode.UNREACHABLE, "the planner answered "
                + response.request().method() + " " + url + " with HTTP " + status + ": " + errorText(body));
    }

    private static String errorText(HttpResponse<String> response) {
        return errorText(response.body());
    }

    private static String errorText(String responseBody) {
        String body = responseBody == null ? "" : responseBody.strip();
        try {
            JsonNode node = FleetJson.MAPPER.readTree(body);
            if (node != null && node.hasNonNull("error")) {
                return node.get("error").asText();
            }
        } catch (IOException e) {
            // not JSON: show the text itself
        }
        return body.isEmpty() ? "(no body)" : body.length() > 500 ? body.substring(0, 500) + "…" : body;
    }

    private static JsonNode json(String text) {
        try {
            return FleetJson.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new CommandFailure(ExitCode.UNREACHABLE, "the planner sent something that is not JSON: " + text);
        }
    }
}
