package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.MissionEvent;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;

/** A stored lifecycle event; {@code seq} is its place in the fleet-wide order. */
@Entity
@Table(name = "mission_event")
public class MissionEventRecord extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long seq;
    @Column(name = "mission_id")
    public String missionId;
    @Enumerated(EnumType.STRING)
    public MissionEvent.Kind event;
    @Column(name = "task_id")
    public String taskId;
    public Integer attempt;
    public Instant at;
    public String detail;

    public MissionEvent toMessage() {
        return new MissionEvent(missionId, event, taskId, attempt, at, detail, seq);
    }

    public static List<MissionEvent> ofMission(String missionId) {
        return MissionEventRecord.<MissionEventRecord>list("missionId = ?1 order by seq", missionId).stream()
                .map(MissionEventRecord::toMessage).toList();
    }
}
