package io.opencodefleet.common.opencode;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The error an assistant message ended with, as OpenCode reports it: {@code name} is one of
 * {@code APIError} (the provider answered with an error; {@code statusCode} is set), {@code ProviderAuthError},
 * {@code MessageAbortedError} (aborted), {@code MessageOutputLengthError}, {@code ContextOverflowError},
 * {@code ContentFilterError}, {@code StructuredOutputError}, {@code UnknownError}.
 *
 * @param statusCode the provider's HTTP status for {@code APIError}, else 0
 * @param retryable whether OpenCode considered the error retryable
 */
public record AgentError(String name, String message, int statusCode, boolean retryable) {

    public static final String ABORTED = "MessageAbortedError";

    public boolean aborted() {
        return ABORTED.equals(name);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static AgentError fromJson(JsonNode error) {
        if (error == null || !error.isObject()) {
            return null;
        }
        JsonNode data = error.path("data");
        return new AgentError(error.path("name").asText("UnknownError"),
                data.path("message").asText(error.path("message").asText("")), data.path("statusCode").asInt(0),
                data.path("isRetryable").asBoolean(false));
    }
}
