package io.opencodefleet.planner.outbox;

import io.opencodefleet.common.retry.Retrier;
import io.opencodefleet.planner.kafka.KafkaAdmin;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

/**
 * Tells what became of a tracked message the planner waits on, from the broker's own numbers: still in the outbox,
 * waiting on the broker for a consumer (the group has not committed past it: every worker is busy, or one is on it
 * right now), consumed (the group committed past it, yet no answer came), or lost (the broker no longer holds it,
 * for instance after its data was wiped). Only the last two make the planner send it again.
 */
@ApplicationScoped
public class Deliveries {

    private static final Logger LOG = Logger.getLogger(Deliveries.class);

    public enum Fate {
        /** Not yet sent by the relay. */
        UNSENT,
        /** On the broker, not yet consumed (or being worked on). */
        WAITING,
        /** The consumer group committed past it. */
        CONSUMED,
        /** Neither in the outbox nor on the broker. */
        LOST,
        /** The broker could not be asked; wait. */
        UNKNOWN
    }

    @Inject
    KafkaAdmin admin;

    @Inject
    Outbox outbox;

    /** One look at the broker, for one pass of the deadline reconciler: each topic and group is asked once. */
    public Snapshot snapshot() {
        return new Snapshot();
    }

    public final class Snapshot {
        private final Map<String, Map<TopicPartition, Long>> committed = new HashMap<>();
        private final Map<TopicPartition, long[]> bounds = new HashMap<>();

        private Snapshot() {
        }

        public Fate fate(String tracks, String group) {
            if (outbox.pending(tracks)) {
                return Fate.UNSENT;
            }
            Delivery delivery = Delivery.<Delivery>findByIdOptional(tracks).orElse(null);
            if (delivery == null) {
                return Fate.LOST;
            }
            try {
                TopicPartition partition = new TopicPartition(delivery.topic, delivery.partition);
                long[] range = bounds(partition);
                if (delivery.offset < range[0] || delivery.offset >= range[1]) {
                    return Fate.LOST;
                }
                Long done = committed(group).get(partition);
                return done != null && done > delivery.offset ? Fate.CONSUMED : Fate.WAITING;
            } catch (Exception e) {
                if (Retrier.causedBy(e, UnknownTopicOrPartitionException.class)) {
                    return Fate.LOST;
                }
                LOG.debugf("Cannot tell the fate of %s now: %s", tracks, e.getMessage());
                return Fate.UNKNOWN;
            }
        }

        /**
         * Whether {@code group} has records of {@code topics} it has not committed yet: an answer to a consumed
         * message may be among them, so the message is not lost yet.
         */
        public boolean behind(String group, String... topics) {
            try {
                Map<TopicPartition, Long> done = committed(group);
                for (String topic : topics) {
                    var partitions = admin.get().describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions();
                    for (var info : partitions) {
                        TopicPartition partition = new TopicPartition(topic, info.partition());
                        if (bounds(partition)[1] > done.getOrDefault(partition, 0L)) {
                            return true;
                        }
                    }
                }
                return false;
            } catch (Exception e) {
                return !Retrier.causedBy(e, UnknownTopicOrPartitionException.class);
            }
        }

        private Map<TopicPartition, Long> committed(String group) throws Exception {
            Map<TopicPartition, Long> offsets = committed.get(group);
            if (offsets == null) {
                offsets = new HashMap<>();
                Map<TopicPartition, OffsetAndMetadata> read = admin.get().listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                for (var entry : read.entrySet()) {
                    if (entry.getValue() != null) {
                        offsets.put(entry.getKey(), entry.getValue().offset());
                    }
                }
                committed.put(group, offsets);
            }
            return offsets;
        }

        /** [earliest, latest) offsets of a partition. */
        private long[] bounds(TopicPartition partition) throws Exception {
            long[] range = bounds.get(partition);
            if (range == null) {
                Admin client = admin.get();
                long earliest = client.listOffsets(Map.of(partition, OffsetSpec.earliest())).partitionResult(partition)
                        .get(10, TimeUnit.SECONDS).offset();
                long latest = client.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                        .get(10, TimeUnit.SECONDS).offset();
                range = new long[] {earliest, latest};
                bounds.put(partition, range);
            }
            return range;
        }
    }

}
