package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.MessageCodec;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads one message type from a topic and validates it: a record that is not that message (bad JSON, another
 * {@code type}, a newer {@code schemaVersion}, a missing or invalid field) throws an
 * {@link io.opencodefleet.common.messages.InvalidMessageException} naming the problem, which the connector turns
 * into a dead letter with that reason (see {@link FleetDeadLetters}). One subclass per message type, because
 * Kafka instantiates deserializers by class name.
 */
public abstract class FleetDeserializer<T> implements Deserializer<T> {

    private final Class<T> type;

    protected FleetDeserializer(Class<T> type) {
        this.type = type;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return MessageCodec.decode(data == null ? null : new String(data, StandardCharsets.UTF_8), type);
    }
}
