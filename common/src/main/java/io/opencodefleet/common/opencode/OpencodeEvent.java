package io.opencodefleet.common.opencode;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One event of OpenCode's event stream. Types that matter to a worker: {@code session.status}
 * ({@code busy}, {@code retry} with attempt and message, {@code idle}), {@code session.updated} (carries the
 * session's cumulative tokens and cost), {@code message.updated} (an assistant message with its tokens),
 * {@code message.part.updated} (text, tool calls and their state), {@code session.error},
 * {@code session.idle}.
 *
 * @param type e.g. {@code session.updated}
 * @param sessionId the session it concerns, or null
 * @param directory the instance directory it came from ({@code global} for server-wide events), may be null
 * @param properties the event's properties
 */
public record OpencodeEvent(String type, String sessionId, String directory, JsonNode properties) {

    public static final String SESSION_UPDATED = "session.updated";
    public static final String SESSION_STATUS = "session.status";
    public static final String SESSION_IDLE = "session.idle";
    public static final String SESSION_ERROR = "session.error";
    public static final String MESSAGE_UPDATED = "message.updated";
    public static final String MESSAGE_PART_UPDATED = "message.part.updated";
    public static final String SERVER_CONNECTED = "server.connected";

    /** The session's cumulative usage, carried by {@code session.updated}. */
    public Optional<SessionUsage> sessionUsage() {
        if (!SESSION_UPDATED.equals(type)) {
            return Optional.empty();
        }
        JsonNode info = properties.path("info");
        if (!info.has("tokens")) {
            return Optional.empty();
        }
        return Optional.of(new SessionUsage(TokenUsage.fromJson(info.path("tokens")), info.path("cost").asDouble()));
    }

    /** For {@code session.status}: {@code busy}, {@code retry} or {@code idle}. */
    public Optional<String> status() {
        return SESSION_STATUS.equals(type) ? Optional.of(properties.path("status").path("type").asText())
                : Optional.empty();
    }

    /** A session's cumulative tokens and cost so far. */
    public record SessionUsage(TokenUsage tokens, double cost) {
    }

    /** The event one {@code data:} line of the event stream carries; none when it is not JSON. */
    static List<OpencodeEvent> parse(String data) {
        try {
            return List.of(fromJson(OpencodeClient.JSON.readTree(data)));
        } catch (IOException e) {
            Logger.getLogger(OpencodeEvent.class).debugf("skipping an event that is not JSON: %s", data);
            return List.of();
        }
    }

    /** Reads an event from {@code /event} ({@code {type, properties}}) or {@code /global/event}
     *  ({@code {directory, payload: {type, properties}}}). */
    static OpencodeEvent fromJson(JsonNode node) {
        String directory = node.path("directory").isTextual() ? node.path("directory").asText() : null;
        JsonNode payload = node.has("payload") ? node.path("payload") : node;
        JsonNode properties = payload.path("properties");
        String sessionId = text(properties.path("sessionID"));
        if (sessionId == null) {
            sessionId = text(properties.path("info").path("sessionID"));
        }
        if (sessionId == null) {
            sessionId = text(properties.path("part").path("sessionID"));
        }
        return new OpencodeEvent(payload.path("type").asText(""), sessionId, directory, properties);
    }

    private static String text(JsonNode node) {
        return node.isTextual() ? node.asText() : null;
    }
}
