package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.MessageCodec;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka value deserializer that parses and validates one message type. It throws
 * {@link io.opencodefleet.common.messages.InvalidMessageException} naming the bad field; consumers that
 * must route bad records to a DLQ consume raw strings and call {@link MessageCodec} instead.
 */
public class ValidatingDeserializer<T> implements Deserializer<T> {

    private final Class<T> type;

    public ValidatingDeserializer(Class<T> type) {
        this.type = type;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return data == null ? null : MessageCodec.decode(new String(data, StandardCharsets.UTF_8), type);
    }
}
