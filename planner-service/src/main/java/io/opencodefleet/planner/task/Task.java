package io.opencodefleet.planner.task;

import com.fasterxml.jackson.core.type.TypeReference;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.TaskKind;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** One task of a mission's DAG and where it stands; {@code attempt} is its current fencing epoch. */
@Entity
@Table(name = "task")
public class Task extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "task_seq")
    @SequenceGenerator(name = "task_seq", sequenceName = "task_seq", allocationSize = 50)
    public Long id;
    @Column(name = "mission_id")
    public String missionId;
    @Column(name = "task_id")
    public String taskId;
    public int position;
    @Enumerated(EnumType.STRING)
    public TaskKind kind;
    public String title;
    public String prompt;
    public String files;
    @Enumerated(EnumType.STRING)
    public TaskState status;
    @Column(name = "pending_deps")
    public int pendingDeps;
    public int attempt;
    public String feedback;
    public String summary;
    @Column(name = "merged_commit")
    public String mergedCommit;
    @Column(name = "worker_id")
    public String workerId;
    @Column(name = "opencode_url")
    public String opencodeUrl;
    @Column(name = "opencode_session")
    public String opencodeSession;
    @Embedded
    public SpentUsage spent = new SpentUsage();
    @Column(name = "dispatched_at")
    public Instant dispatchedAt;
    @Column(name = "started_at")
    public Instant startedAt;
    @Column(name = "last_heartbeat_at")
    public Instant lastHeartbeatAt;
    @Column(name = "finished_at")
    public Instant finishedAt;

    public static Optional<Task> find(String missionId, String taskId) {
        return find("missionId = ?1 and taskId = ?2", missionId, taskId).firstResultOptional();
    }

    public static List<Task> ofMission(String missionId) {
        return list("missionId = ?1 order by position", missionId);
    }

    /** The files the plan says this task changes (empty when it did not say). */
    public List<String> declaredFiles() {
        if (files == null) {
            return List.of();
        }
        try {
            return FleetJson.MAPPER.readValue(files, new TypeReference<List<String>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
