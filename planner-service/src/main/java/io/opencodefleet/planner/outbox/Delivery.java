package io.opencodefleet.planner.outbox;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;

/** Where the relay published a tracked message: its topic, partition and offset on the broker. */
@Entity
@Table(name = "delivery")
public class Delivery extends PanacheEntityBase {

    @Id
    public String tracks;
    @Column(name = "mission_id")
    public String missionId;
    public String topic;
    @Column(name = "partition_no")
    public int partition;
    @Column(name = "offset_no")
    public long offset;
    @Column(name = "sent_at")
    public Instant sentAt;

    /** The tracking key of one message the planner waits on: topic, mission, task and attempt. */
    public static String key(String topic, String missionId, String taskId, int attempt) {
        return topic + ":" + missionId + "/" + taskId + "/" + attempt;
    }

    static String missionOf(String tracks) {
        int colon = tracks.indexOf(':');
        int slash = tracks.indexOf('/', colon + 1);
        return tracks.substring(colon + 1, slash);
    }

    public static Optional<Delivery> of(String tracks) {
        return findByIdOptional(tracks);
    }

    /** Forgets the deliveries of a finished mission. */
    public static void forgetMission(String missionId) {
        delete("missionId", missionId);
    }
}
