package io.opencodefleet.common.messages;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Every record on a fleet topic names its type and schema version, so a consumer can tell a stray
 * record from its own and a future version from this one.
 */
public interface FleetMessage {
    int SCHEMA_VERSION = 1;

    @JsonProperty(value = "type", access = JsonProperty.Access.READ_ONLY)
    default String type() {
        return getClass().getSimpleName();
    }

    @JsonProperty(value = "schemaVersion", access = JsonProperty.Access.READ_ONLY)
    default int schemaVersion() {
        return SCHEMA_VERSION;
    }
}
