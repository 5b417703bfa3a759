package io.opencodefleet.planner.task;

import io.opencodefleet.common.messages.Usage;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** One attempt at a task: what the worker did and what the reviewer said. */
@Entity
@Table(name = "task_attempt")
public class TaskAttempt extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "task_attempt_seq")
    @SequenceGenerator(name = "task_attempt_seq", sequenceName = "task_attempt_seq", allocationSize = 50)
    public Long id;
    @Column(name = "mission_id")
    public String missionId;
    @Column(name = "task_id")
    public String taskId;
    public int attempt;
    public String status;
    public String verdict;
    public String feedback;
    public String branch;
    @Column(name = "commit_sha")
    public String commit;
    @Column(name = "merged_commit")
    public String mergedCommit;
    public String summary;
    @Column(name = "changed_files")
    public String changedFiles;
    public String checks;
    @Column(name = "worker_id")
    public String workerId;
    @Column(name = "opencode_session")
    public String opencodeSession;
    @Embedded
    public SpentUsage spent = new SpentUsage();
    @Column(name = "duration_ms")
    public Long durationMs;
    @Column(name = "dispatched_at")
    public Instant dispatchedAt;
    @Column(name = "finished_at")
    public Instant finishedAt;

    public static Optional<TaskAttempt> find(String missionId, String taskId, int attempt) {
        return find("missionId = ?1 and taskId = ?2 and attempt = ?3", missionId, taskId, attempt).firstResultOptional();
    }

    public static List<TaskAttempt> ofMission(String missionId) {
        return list("missionId = ?1 order by taskId, attempt", missionId);
    }

    public Usage usage() {
        return spent.toUsage();
    }
}
