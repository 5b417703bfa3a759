package io.opencodefleet.cli.planner;

import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.common.messages.Topics;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;

/** Publishes a mission straight to {@code fleet.missions}, keyed by its id, as any Kafka producer may. */
public final class KafkaMissions {

    private KafkaMissions() {
    }

    public static void publish(String bootstrapServers, String missionId, String missionJson) {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                // A person is waiting: fail within seconds, not the client's default minutes.
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.MISSIONS, missionId, missionJson)).get(15, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            // The client says "Topic fleet.missions not present in metadata" when no broker answered at all.
            String why = cause instanceof org.apache.kafka.common.errors.TimeoutException || cause instanceof TimeoutException
                    ? "no broker answered within seconds" : cause.getMessage();
            throw new CommandFailure(ExitCode.UNREACHABLE, "cannot publish to the Kafka broker at " + bootstrapServers + " ("
                    + why + ").\n  Start a local fleet with `bin/fleet up`, or pass --kafka=HOST:PORT of a running broker.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(ExitCode.UNREACHABLE, "interrupted while publishing the mission");
        }
    }
}
