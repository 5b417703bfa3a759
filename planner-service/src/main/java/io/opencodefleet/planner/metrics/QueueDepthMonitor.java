package io.opencodefleet.planner.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.planner.kafka.KafkaAdmin;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * {@code fleet_queue_depth{topic,group}}: records on the broker that a consumer group has not committed yet
 * (end offsets − committed offsets, read with the AdminClient), for every fleet topic and the group that
 * consumes it. Seen from the broker, so it counts work no consumer has even fetched; KEDA scales workers on
 * the same number for {@code fleet.tasks}.
 */
@ApplicationScoped
public class QueueDepthMonitor {

    private static final Logger LOG = Logger.getLogger(QueueDepthMonitor.class);

    /** Each fleet topic and the consumer groups whose backlog on it matters. */
    static final Map<String, List<String>> QUEUES = Map.of(
            Topics.MISSIONS, List.of(Topics.PLANNER_GROUP),
            Topics.TASKS, List.of(Topics.WORKERS_GROUP),
            Topics.RESULTS, List.of(Topics.PLANNER_GROUP),
            Topics.REVIEWS, List.of(Topics.REVIEWERS_GROUP),
            Topics.VERDICTS, List.of(Topics.PLANNER_GROUP),
            Topics.PROGRESS, List.of(Topics.PLANNER_GROUP));

    @Inject
    MeterRegistry metrics;

    @Inject
    KafkaAdmin kafkaAdmin;

    private final Map<String, AtomicLong> depths = new ConcurrentHashMap<>();

    void start(@Observes StartupEvent event) {
        QUEUES.forEach((topic, groups) -> groups.forEach(group -> {
            AtomicLong depth = new AtomicLong();
            depths.put(topic + "|" + group, depth);
            Gauge.builder("fleet.queue.depth", depth, AtomicLong::get)
                    .description("Records not yet committed by the consumer group (end offset - committed offset)")
                    .tags("topic", topic, "group", group).register(metrics);
        }));
    }

    @Scheduled(every = "${fleet.queue-depth-interval:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void measure() {
        try {
            Admin admin = kafkaAdmin.get();
            Set<String> existing = admin.listTopics().names().get(10, TimeUnit.SECONDS);
            for (var queue : QUEUES.entrySet()) {
                if (!existing.contains(queue.getKey())) {
                    continue;
                }
                Map<TopicPartition, Long> ends = endOffsets(admin, queue.getKey());
                for (String group : queue.getValue()) {
                    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                            .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                    long depth = 0;
                    for (var end : ends.entrySet()) {
                        OffsetAndMetadata done = committed.get(end.getKey());
                        depth += Math.max(0, end.getValue() - (done == null ? 0 : done.offset()));
                    }
                    depths.get(queue.getKey() + "|" + group).set(depth);
                }
            }
        } catch (Exception e) {
            LOG.debugf("Queue depth not measured this time: %s", e.getMessage());
        }
    }

    private Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
        var description = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        description.partitions().forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (var entry : admin.listOffsets(request).all().get(10, TimeUnit.SECONDS).entrySet()) {
            ListOffsetsResult.ListOffsetsResultInfo info = entry.getValue();
            ends.put(entry.getKey(), info.offset());
        }
        return ends;
    }
}
