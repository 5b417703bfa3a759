package io.opencodefleet.cli.planner;

import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.common.messages.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes a mission straight to {@code fleet.missions}, keyed by its id, as any Kafka producer may: with the
 * client settings of a properties file (security protocol, SASL or TLS settings of a broker that asks for
 * credentials), as {@code bin/fleet submit --kafka --kafka-config FILE} passes them.
 */
public final class KafkaMissions {

    /** The environment variable naming a client properties file when {@code --kafka-config} is not given. */
    public static final String CONFIG_ENV = "FLEET_KAFKA_CONFIG";

    private KafkaMissions() {
    }

    /** The client properties in {@code file}, or none for null. */
    public static Map<String, String> clientConfig(Path file) {
        if (file == null) {
            return Map.of();
        }
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            throw new CommandFailure(ExitCode.USAGE, "Kafka client settings " + file + " do not exist (--kafka-config or $" + CONFIG_ENV + ").");
        } catch (IOException | IllegalArgumentException e) {
            throw new CommandFailure(ExitCode.USAGE, "cannot read Kafka client settings " + file + ": " + e.getMessage());
        }
        Map<String, String> config = new TreeMap<>();
        properties.stringPropertyNames().forEach(key -> config.put(key, properties.getProperty(key)));
        return config;
    }

    /** Publishes with the client settings {@code client} (may be empty) on the broker at {@code bootstrapServers}. */
    public static void publish(String bootstrapServers, Map<String, String> client, String missionId, String missionJson) {
        Map<String, Object> config = new HashMap<>(client);
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // A person is waiting: fail within seconds, not the client's default minutes.
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.MISSIONS, missionId, missionJson)).get(15, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof AuthenticationException || cause instanceof AuthorizationException) {
                throw new CommandFailure(ExitCode.NOT_AUTHORIZED, "the Kafka broker at " + bootstrapServers + " refused to take the mission ("
                        + cause.getMessage() + ").\n  Pass the credentials of a user that may write " + Topics.MISSIONS
                        + " with --kafka-config FILE (or $" + CONFIG_ENV + "): a properties file with security.protocol, sasl.mechanism and sasl.jaas.config.");
            }
            // The client says "Topic fleet.missions not present in metadata" when no broker answered at all, and also
            // when the broker wants credentials the client does not offer (it hangs up on a plaintext client).
            String why = cause instanceof org.apache.kafka.common.errors.TimeoutException || cause instanceof TimeoutException
                    ? "no broker answered within seconds" : cause.getMessage();
            throw new CommandFailure(ExitCode.UNREACHABLE, "cannot publish to the Kafka broker at " + bootstrapServers + " ("
                    + why + ").\n  Start a local fleet with `bin/fleet up`, or pass --kafka=HOST:PORT of a running broker"
                    + (client.containsKey("security.protocol") ? "." : "; a broker that asks for credentials needs them in --kafka-config FILE."));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(ExitCode.UNREACHABLE, "interrupted while publishing the mission");
        }
    }
}
