package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.Usage;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import io.opencodefleet.planner.task.SpentUsage;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.LockModeType;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import java.time.Instant;
import java.util.Optional;

/** A mission's row: its accepted spec, lifecycle status and accumulated usage. */
@Entity
@Table(name = "mission")
public class Mission extends PanacheEntityBase {

    @Id
    public String id;
    public String title;
    @Enumerated(EnumType.STRING)
    public MissionStatus status;
    public String spec;
    @Column(name = "integration_branch")
    public String integrationBranch;
    @Column(name = "status_reason")
    public String statusReason;
    @Column(name = "merged_commit")
    public String mergedCommit;
    @Embedded
    public SpentUsage spent = new SpentUsage();
    /** What a person said on resume; every later attempt's context carries it. */
    public String guidance;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "updated_at")
    public Instant updatedAt;

    @Transient
    private MissionSubmitted submitted;

    /** Loads the mission and locks its row: every change to one mission happens under this lock. */
    public static Optional<Mission> lock(String id) {
        return Optional.ofNullable(findById(id, LockModeType.PESSIMISTIC_WRITE));
    }

    public MissionSubmitted submitted() {
        if (submitted == null) {
            submitted = MessageCodec.decode(spec, MissionSubmitted.class);
        }
        return submitted;
    }

    public void setSubmitted(MissionSubmitted value) {
        submitted = value;
        spec = FleetJson.write(value);
    }

    public Usage usage() {
        return spent.toUsage();
    }
}
