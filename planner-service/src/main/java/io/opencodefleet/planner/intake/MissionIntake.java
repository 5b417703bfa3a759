package io.opencodefleet.planner.intake;

import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.planner.metrics.PlannerMetrics;
import io.opencodefleet.planner.mission.MissionService;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Missions published to {@code fleet.missions} by any Kafka producer. The offset is committed only after
 * the mission is stored; an invalid record goes to {@code fleet.missions.dlq} with the reason and the
 * consumer goes on.
 */
@ApplicationScoped
public class MissionIntake {

    private static final Logger LOG = Logger.getLogger(MissionIntake.class);

    @Inject
    MissionService missions;

    @Inject
    PlannerMetrics metrics;

    @Incoming("missions")
    @Blocking
    public void onRecord(ConsumerRecord<String, String> record) {
        try {
            MissionSubmitted submitted = MessageCodec.decode(record.value(), MissionSubmitted.class);
            if (submitted.missionId() == null) {
                submitted = submitted.withMissionId(idFor(record));
            }
            try {
                missions.submit(submitted);
            } catch (MissionService.DuplicateMissionException e) {
                LOG.debugf("Mission %s already stored", e.missionId);
            }
        } catch (InvalidMessageException e) {
            metrics.deadLettered(Topics.MISSIONS);
            LOG.warnf("Invalid mission at %s-%d@%d to the DLQ: %s", record.topic(), record.partition(), record.offset(), e.getMessage());
            throw e;
        }
    }

    /** Without a missionId the record's key is the idempotency key; without a key, its position in the log. */
    private static String idFor(ConsumerRecord<String, String> record) {
        if (record.key() != null && record.key().matches(MissionSubmitted.ID_PATTERN)) {
            return record.key();
        }
        String position = record.topic() + "-" + record.partition() + "@" + record.offset();
        return "m-" + UUID.nameUUIDFromBytes(position.getBytes(StandardCharsets.UTF_8)).toString().replace("-", "").substring(0, 12);
    }
}
