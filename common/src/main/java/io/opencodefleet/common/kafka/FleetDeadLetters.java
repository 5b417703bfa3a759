package io.opencodefleet.common.kafka;

import io.micrometer.core.instrument.MeterRegistry;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.Topics;
import io.smallrye.reactive.messaging.kafka.DeserializationFailureHandler;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaConnectorIncomingConfiguration;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.fault.KafkaFailureHandler;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.function.BiConsumer;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/**
 * The fleet's failure strategy ({@code failure-strategy=fleet-dead-letters}): a record that can never succeed
 * (it does not deserialize or validate, or its handler refused it as invalid) goes to {@code <its topic>.dlq}
 * with the reason in {@code dead-letter-reason}, is counted in {@code fleet_dlq_records_total{topic}}, and the
 * consumer goes on. SmallRye's dead-letter queue does the sending (raw bytes kept for a record that did not
 * deserialize); this only picks the topic per record and counts, in one place for every channel.
 * Transient failures never get here: handlers retry those without acknowledging the record, and one they cannot finish
 * (the service is stopping) arrives as {@link NotProcessed}, which leaves the record unacknowledged for redelivery.
 */
@ApplicationScoped
@Identifier(FleetDeadLetters.STRATEGY)
public class FleetDeadLetters implements KafkaFailureHandler.Factory {

    public static final String STRATEGY = "fleet-dead-letters";
    public static final String COUNTER = "fleet.dlq.records";
    private static final Logger LOG = Logger.getLogger(FleetDeadLetters.class);

    @Inject
    @Identifier(KafkaFailureHandler.Strategy.DEAD_LETTER_QUEUE)
    KafkaFailureHandler.Factory deadLetterQueue;

    @Inject
    MeterRegistry metrics;

    /**
     * The record's value, or the reason it could not be read: a record that failed to deserialize arrives with a
     * null value and the deserializer's words in a header; refusing it sends it to its dead-letter topic.
     */
    public static <T> T payload(ConsumerRecord<String, T> record) {
        if (record.value() != null) {
            return record.value();
        }
        Header reason = record.headers().lastHeader(DeserializationFailureHandler.DESERIALIZATION_FAILURE_REASON);
        throw new InvalidMessageException(reason == null ? "empty record" : new String(reason.value(), StandardCharsets.UTF_8));
    }

    /** Counters exist at 0 from the start, so an alert on their increase sees the first dead letter. */
    public static void registerAtZero(MeterRegistry metrics, String... topics) {
        for (String topic : topics) {
            metrics.counter(COUNTER, "topic", topic);
        }
    }

    @Override
    public KafkaFailureHandler create(KafkaConnectorIncomingConfiguration config, Vertx vertx, KafkaConsumer<?, ?> consumer,
            BiConsumer<Throwable, Boolean> reportFailure) {
        KafkaFailureHandler delegate = deadLetterQueue.create(config, vertx, consumer, reportFailure);
        // Not a KafkaDeadLetterQueue on purpose: a record that failed to deserialize then reaches its handler (as a
        // null payload, which the handler refuses with the reason, see #payload) and is dead-lettered through the
        // normal path, so its offset is committed like any other's.
        return new KafkaFailureHandler() {
            @Override
            public <K, V> Uni<Void> handle(IncomingKafkaRecord<K, V> record, Throwable reason, Metadata metadata) {
                if (reason instanceof NotProcessed) {
                    // Neither acknowledged nor dead-lettered: the offset stays where it is and the record comes again.
                    LOG.infof("Record %s-%d@%d left for redelivery: %s", record.getTopic(), record.getPartition(), record.getOffset(),
                            reason.getMessage());
                    return Uni.createFrom().voidItem();
                }
                String deadLetterTopic = Topics.dlq(record.getTopic());
                Metadata routed = (metadata == null ? Metadata.empty() : metadata)
                        .with(OutgoingKafkaRecordMetadata.builder().withTopic(deadLetterTopic).build());
                metrics.counter(COUNTER, "topic", record.getTopic()).increment();
                LOG.warnf("Record %s-%d@%d to %s: %s", record.getTopic(), record.getPartition(), record.getOffset(),
                        deadLetterTopic, reason == null ? "no reason" : reason.getMessage());
                return delegate.handle(record, reason, routed);
            }

            @Override
            public void terminate() {
                delegate.terminate();
            }
        };
    }
}
