package io.opencodefleet.common.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opencodefleet.common.kafka.JsonSerializer;
import io.opencodefleet.common.kafka.ControlCommandDeserializer;
import io.opencodefleet.common.kafka.FleetDeserializer;
import io.opencodefleet.common.kafka.MissionEventDeserializer;
import io.opencodefleet.common.kafka.MissionSubmittedDeserializer;
import io.opencodefleet.common.kafka.ReviewRequestDeserializer;
import io.opencodefleet.common.kafka.ReviewVerdictDeserializer;
import io.opencodefleet.common.kafka.TaskAssignmentDeserializer;
import io.opencodefleet.common.kafka.TaskProgressDeserializer;
import io.opencodefleet.common.kafka.TaskResultDeserializer;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Every message type survives a trip through a real Kafka broker with the fleet's serde. */
class KafkaContractRoundTripTest {

    private final String bootstrap = KafkaBroker.shared().bootstrapServers();

    /** The deserializer the consumers configure for each message type. */
    private static final Map<Class<?>, FleetDeserializer<?>> DESERIALIZERS = Map.of(
            MissionSubmitted.class, new MissionSubmittedDeserializer(), TaskAssignment.class, new TaskAssignmentDeserializer(),
            TaskResult.class, new TaskResultDeserializer(), ReviewRequest.class, new ReviewRequestDeserializer(),
            ReviewVerdict.class, new ReviewVerdictDeserializer(), TaskProgress.class, new TaskProgressDeserializer(),
            ControlCommand.class, new ControlCommandDeserializer(), MissionEvent.class, new MissionEventDeserializer());

    @Test
    void everyMessageTypeRoundTripsThroughTheBroker() throws Exception {
        String topic = "contracts-" + UUID.randomUUID();
        List<FleetMessage> sent = Samples.all();
        try (var producer = producer()) {
            for (FleetMessage message : sent) {
                producer.send(new ProducerRecord<>(topic, "m-1", message)).get();
            }
        }
        List<FleetMessage> received = new ArrayList<>();
        try (var consumer = consumer()) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (received.size() < sent.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    Class<? extends FleetMessage> type = sent.get(received.size()).getClass();
                    received.add((FleetMessage) DESERIALIZERS.get(type).deserialize(topic, record.value().getBytes()));
                }
            }
        }
        assertThat(received).containsExactlyElementsOf(sent);
    }

    @Test
    void anInvalidRecordFromTheBrokerIsRefusedNamingTheField() throws Exception {
        String topic = "contracts-bad-" + UUID.randomUUID();
        try (var producer = producer()) {
            producer.send(new ProducerRecord<>(topic, "m-2", "{\"type\":\"TaskResult\",\"missionId\":\"m-2\",\"taskId\":\"a\",\"attempt\":0,\"status\":\"SUCCEEDED\"}")).get();
        }
        try (var consumer = consumer()) {
            consumer.subscribe(List.of(topic));
            String value = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (value == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    value = record.value();
                }
            }
            byte[] bytes = value.getBytes();
            assertThatThrownBy(() -> new TaskResultDeserializer().deserialize(topic, bytes))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessage("attempt: must be greater than 0");
            assertThatThrownBy(() -> new ReviewVerdictDeserializer().deserialize(topic, bytes))
                    .as("a record of another type on a topic is refused by its type")
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessage("type: expected 'ReviewVerdict', got \"TaskResult\"");
        }
    }

    private KafkaProducer<String, Object> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new JsonSerializer());
    }

    private KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "contracts-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer());
    }
}
