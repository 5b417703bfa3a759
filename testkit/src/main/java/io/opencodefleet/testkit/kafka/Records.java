package io.opencodefleet.testkit.kafka;

import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;

/**
 * Waits on what a {@link io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion} consumer has read: the
 * companion reads topics, this only picks the records a test waits for.
 */
public final class Records {

    private Records() {
    }

    /** The first record read so far that matches, once there is one. */
    public static <K, V> ConsumerRecord<K, V> await(ConsumerTask<K, V> read, Predicate<ConsumerRecord<K, V>> match, Duration timeout) {
        return awaitCount(read, match, 1, timeout).get(0);
    }

    /** Every record read so far that matches, once at least {@code count} do. */
    public static <K, V> List<ConsumerRecord<K, V>> awaitCount(ConsumerTask<K, V> read, Predicate<ConsumerRecord<K, V>> match, int count,
            Duration timeout) {
        return Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(50))
                .alias(count + " matching record(s) among what was read")
                .until(() -> read.stream().filter(match).toList(), matching -> matching.size() >= count);
    }
}
