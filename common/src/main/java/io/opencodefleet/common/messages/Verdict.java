package io.opencodefleet.common.messages;

/** The reviewer's decision on one attempt. ERROR means the review itself could not run. */
public enum Verdict {
    APPROVED, REJECTED, ERROR
}
