package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.ReviewRequest;

/** Reads and validates {@link ReviewRequest} records. */
public class ReviewRequestDeserializer extends FleetDeserializer<ReviewRequest> {

    public ReviewRequestDeserializer() {
        super(ReviewRequest.class);
    }
}
