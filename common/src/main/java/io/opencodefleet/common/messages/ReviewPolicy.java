package io.opencodefleet.common.messages;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether an LLM reviews each merge, and when the mission pauses for a human. */
public record ReviewPolicy(Boolean llm, Intervene intervene) {

    /** From least to most intervention: each level also pauses where the ones before it do. */
    public enum Intervene {
        @JsonProperty("never") NEVER,
        @JsonProperty("on-error") ON_ERROR,
        @JsonProperty("on-warning") ON_WARNING,
        @JsonProperty("always") ALWAYS
    }

    public ReviewPolicy {
        if (llm == null) {
            llm = false;
        }
        if (intervene == null) {
            intervene = Intervene.NEVER;
        }
    }

    /** Whether the mission pauses (rather than fails or goes on) at this level of trouble. */
    public boolean pausesOn(Intervene level) {
        return intervene.compareTo(level) >= 0 && intervene != Intervene.NEVER;
    }

    public static ReviewPolicy defaults() {
        return new ReviewPolicy(null, null);
    }
}
