package io.opencodefleet.common.opencode;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Tokens the model used, as OpenCode counts them.
 *
 * @param input prompt tokens (not read from cache)
 * @param output completion tokens
 * @param reasoning reasoning tokens, when the provider reports them
 * @param cacheRead prompt tokens read from the provider's cache
 * @param cacheWrite prompt tokens written to the provider's cache
 */
public record TokenUsage(long input, long output, long reasoning, long cacheRead, long cacheWrite) {

    public static final TokenUsage ZERO = new TokenUsage(0, 0, 0, 0, 0);

    public long total() {
        return input + output + reasoning + cacheRead + cacheWrite;
    }

    public TokenUsage plus(TokenUsage other) {
        return new TokenUsage(input + other.input, output + other.output, reasoning + other.reasoning,
                cacheRead + other.cacheRead, cacheWrite + other.cacheWrite);
    }

    /** Reads OpenCode's {@code tokens} object ({@code input, output, reasoning, cache: {read, write}}). */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static TokenUsage fromJson(JsonNode tokens) {
        if (tokens == null || !tokens.isObject()) {
            return ZERO;
        }
        return new TokenUsage(tokens.path("input").asLong(), tokens.path("output").asLong(),
                tokens.path("reasoning").asLong(), tokens.path("cache").path("read").asLong(),
                tokens.path("cache").path("write").asLong());
    }
}
