package io.opencodefleet.planner.inbox;

import io.opencodefleet.common.health.Dependencies;
import io.opencodefleet.common.kafka.FleetDeadLetters;
import io.opencodefleet.common.kafka.NotProcessed;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.retry.Retrier;
import io.opencodefleet.planner.mission.MissionService;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Missions published to {@code fleet.missions} by any Kafka producer. The offset is committed only after the
 * mission is stored (PostgreSQL away: retried until it is back); a record that is not a valid mission goes to
 * {@code fleet.missions.dlq} with the reason and the consumer goes on.
 */
@ApplicationScoped
public class MissionIntake {

    private static final Logger LOG = Logger.getLogger(MissionIntake.class);

    @Inject
    MissionService missions;

    @Inject
    Dependencies readiness;

    private volatile boolean stopping;

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    @Incoming("missions")
    @Blocking
    public void onRecord(ConsumerRecord<String, MissionSubmitted> record) {
        MissionSubmitted submitted = FleetDeadLetters.payload(record);
        if (submitted.missionId() == null) {
            submitted = submitted.withMissionId(idFor(record));
        }
        MissionSubmitted mission = submitted;
        try {
            Retrier.forever(Duration.ofMillis(200), Duration.ofSeconds(10), readiness, () -> stopping)
                    .run("postgresql", "storing mission " + mission.missionId(), Transients::isTransient, () -> {
                        try {
                            missions.submit(mission);
                        } catch (MissionService.DuplicateMissionException e) {
                            LOG.debugf("Mission %s already stored", e.missionId);
                        }
                    });
        } catch (RuntimeException e) {
            if (stopping && Transients.isTransient(e)) {
                throw new NotProcessed("the planner stopped before it could store mission " + mission.missionId(), e);
            }
            throw e;
        }
    }

    /** Without a missionId the record's key is the idempotency key; without a key, its position in the log. */
    private static String idFor(ConsumerRecord<String, ?> record) {
        if (record.key() != null && record.key().matches(MissionSubmitted.ID_PATTERN)) {
            return record.key();
        }
        String position = record.topic() + "-" + record.partition() + "@" + record.offset();
        return "m-" + UUID.nameUUIDFromBytes(position.getBytes(StandardCharsets.UTF_8)).toString().replace("-", "").substring(0, 12);
    }
}
