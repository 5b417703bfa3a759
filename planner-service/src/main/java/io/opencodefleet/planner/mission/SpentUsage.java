package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.Usage;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

/** Tokens and money spent, as the columns a mission, a task and an attempt each keep. */
@Embeddable
public class SpentUsage {

    @Column(name = "input_tokens")
    public long inputTokens;
    @Column(name = "output_tokens")
    public long outputTokens;
    @Column(name = "cost_usd")
    public double costUsd;

    public void add(Usage usage) {
        inputTokens += usage.inputTokens();
        outputTokens += usage.outputTokens();
        costUsd += usage.costUsd();
    }

    public Usage toUsage() {
        return new Usage(inputTokens, outputTokens, costUsd);
    }
}
