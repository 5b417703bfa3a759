package io.opencodefleet.devstack.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A decoded {@code /v1/chat/completions} request, as the rules of a {@link Script} see it.
 *
 * <p>The <em>step</em> is the number of assistant messages after the last user message: the first model call
 * for a prompt is step 0, the call after the first tool results came back is step 1, and so on. It is derived
 * from the conversation itself, so retries of the same call (after a 429) see the same step, and a second
 * prompt in the same session (for example the reviewer's feedback) starts again at step 0.
 *
 * @param key identifies the conversation: OpenCode's {@code x-session-id} header, else a hash of the first user
 *        message
 * @param body the request JSON as sent
 * @param system the system messages joined by newlines
 * @param userMessages every user message's text, in order
 * @param toolNames names of the tools offered (empty for title requests)
 * @param toolResults the number of {@code tool} messages in the conversation
 * @param step the number of assistant messages after the last user message
 */
public record Conversation(String key, JsonNode body, String system, List<String> userMessages,
        List<String> toolNames, int toolResults, int step) {

    /** The text of the last user message, or an empty string. */
    public String lastUserMessage() {
        return userMessages.isEmpty() ? "" : userMessages.get(userMessages.size() - 1);
    }

    /** All user messages joined by newlines: what "the prompt" means for matching. */
    public String prompt() {
        return String.join("\n", userMessages);
    }

    /** True when the request offers tools; OpenCode's title requests offer none. */
    public boolean hasTools() {
        return !toolNames.isEmpty();
    }

    /** True when the request streams (OpenCode always asks for streaming). */
    public boolean streaming() {
        return body.path("stream").asBoolean(false);
    }

    static Conversation of(JsonNode body, Map<String, String> headers) {
        StringBuilder system = new StringBuilder();
        List<String> users = new ArrayList<>();
        int toolResults = 0;
        int assistantsSinceUser = 0;
        for (JsonNode message : body.path("messages")) {
            String role = message.path("role").asText();
            switch (role) {
                case "system", "developer" -> {
                    if (system.length() > 0) {
                        system.append('\n');
                    }
                    system.append(text(message.path("content")));
                }
                case "user" -> {
                    users.add(text(message.path("content")));
                    assistantsSinceUser = 0;
                }
                case "assistant" -> assistantsSinceUser++;
                case "tool" -> toolResults++;
                default -> {
                }
            }
        }
        List<String> tools = new ArrayList<>();
        for (JsonNode tool : body.path("tools")) {
            String name = tool.path("function").path("name").asText(tool.path("name").asText(""));
            if (!name.isEmpty()) {
                tools.add(name);
            }
        }
        String key = headers.get("x-session-id");
        if (key == null || key.isBlank()) {
            key = "h" + Integer.toHexString((users.isEmpty() ? "" : users.get(0)).hashCode());
        }
        return new Conversation(key, body, system.toString(), Collections.unmodifiableList(users),
                Collections.unmodifiableList(tools), toolResults, assistantsSinceUser);
    }

    /** The text of a message content: a string, or an array of parts whose text parts are joined. */
    static String text(JsonNode content) {
        if (content == null || content.isNull() || content.isMissingNode()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if (part.has("text")) {
                if (text.length() > 0) {
                    text.append('\n');
                }
                text.append(part.path("text").asText());
            }
        }
        return text.toString();
    }
}
