package io.opencodefleet.common.kafka;

import io.opencodefleet.common.messages.FleetJson;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka value serializer for fleet messages: UTF-8 JSON with the fleet's mapping. Text and bytes pass through
 * unchanged, so a dead letter keeps the record exactly as it arrived.
 */
public class JsonSerializer implements Serializer<Object> {

    @Override
    public byte[] serialize(String topic, Object data) {
        if (data == null) {
            return null;
        }
        if (data instanceof byte[] bytes) {
            return bytes;
        }
        if (data instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        return FleetJson.write(data).getBytes(StandardCharsets.UTF_8);
    }
}
