package io.opencodefleet.testkit.kafka;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Quarkus test resource: the shared real broker. Where a Docker engine exists and {@code fleet.test.kafka=testcontainers}
 * is set, a Testcontainers Kafka is used instead.
 */
public class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {

    private AutoCloseable container;

    @Override
    public Map<String, String> start() {
        if ("testcontainers".equals(System.getProperty("fleet.test.kafka", System.getenv("FLEET_TEST_KAFKA")))) {
            var kafka = new org.testcontainers.kafka.KafkaContainer("apache/kafka-native:4.1.0");
            kafka.start();
            container = kafka;
            return Map.of("kafka.bootstrap.servers", kafka.getBootstrapServers());
        }
        return Map.of("kafka.bootstrap.servers", KafkaBroker.shared().bootstrapServers());
    }

    @Override
    public void stop() {
        // The shared broker lives until the JVM exits so the next test class reuses it.
        if (container != null) {
            try {
                container.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
