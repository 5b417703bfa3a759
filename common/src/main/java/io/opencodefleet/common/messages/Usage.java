package io.opencodefleet.common.messages;

import jakarta.validation.constraints.PositiveOrZero;

/** Tokens and money an agent spent. */
public record Usage(@PositiveOrZero long inputTokens, @PositiveOrZero long outputTokens, @PositiveOrZero double costUsd) {

    public static final Usage ZERO = new Usage(0, 0, 0);

    public Usage plus(Usage other) {
        return other == null ? this
                : new Usage(inputTokens + other.inputTokens, outputTokens + other.outputTokens, costUsd + other.costUsd);
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }
}
