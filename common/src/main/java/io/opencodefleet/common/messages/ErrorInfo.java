package io.opencodefleet.common.messages;

/** Why a task did not succeed: a short machine-readable kind and a message for people. */
public record ErrorInfo(String kind, String message) {
}
