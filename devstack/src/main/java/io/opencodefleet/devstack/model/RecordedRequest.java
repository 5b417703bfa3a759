package io.opencodefleet.devstack.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A chat completion request the {@link ScriptedModel} received, and how it answered.
 *
 * @param sequence 1-based arrival order
 * @param receivedAt arrival time
 * @param headers request headers, names in lower case
 * @param conversation the decoded request
 * @param rule name of the rule that answered, or null when none matched
 * @param status the HTTP status answered (an injected failure shows here)
 */
public record RecordedRequest(long sequence, Instant receivedAt, Map<String, String> headers,
        Conversation conversation, String rule, int status) {

    public JsonNode body() {
        return conversation.body();
    }

    /** All user messages joined by newlines. */
    public String prompt() {
        return conversation.prompt();
    }

    public String lastUserMessage() {
        return conversation.lastUserMessage();
    }

    public String system() {
        return conversation.system();
    }

    public boolean hasTools() {
        return conversation.hasTools();
    }

    /** OpenCode's title requests offer no tools. */
    public boolean isTitleRequest() {
        return !conversation.hasTools();
    }

    public int step() {
        return conversation.step();
    }

    public List<String> toolNames() {
        return conversation.toolNames();
    }

    /** OpenCode's session id ({@code x-session-id}), or a hash of the first user message. */
    public String conversationKey() {
        return conversation.key();
    }

    ObjectNode toJson() {
        ObjectNode node = Turn.JSON.createObjectNode();
        node.put("sequence", sequence);
        node.put("receivedAt", receivedAt.toString());
        node.put("conversation", conversation.key());
        node.put("step", conversation.step());
        node.put("hasTools", conversation.hasTools());
        node.put("rule", rule);
        node.put("status", status);
        node.put("prompt", conversation.prompt());
        node.put("lastUserMessage", conversation.lastUserMessage());
        ObjectNode headerNode = node.putObject("headers");
        headers.forEach(headerNode::put);
        node.set("body", conversation.body());
        return node;
    }
}
