package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.ReviewVerdict;

/** Reads and validates {@link ReviewVerdict} records. */
public class ReviewVerdictDeserializer extends FleetDeserializer<ReviewVerdict> {

    public ReviewVerdictDeserializer() {
        super(ReviewVerdict.class);
    }
}
