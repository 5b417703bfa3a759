package io.opencodefleet.planner.mission;

import com.fasterxml.jackson.core.type.TypeReference;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.PlannedTask;
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
import org.hibernate.Session;
import org.hibernate.annotations.NaturalId;
import java.io.IOException;
import java.io.UncheckedIOException;
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
    @NaturalId
    @Column(name = "mission_id")
    public String missionId;
    @NaturalId
    @Column(name = "task_id")
    public String taskId;
    @NaturalId
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
    /** A planning task's plan (JSON) as its result brought it, for the review and the expansion. */
    @Column(name = "plan")
    public String planJson;
    @Column(name = "error_kind")
    public String errorKind;
    public String error;
    /** When the first result of this attempt arrived; a repeated result changes nothing. */
    @Column(name = "result_at")
    public Instant resultAt;

    /** By its natural id (see {@link Task#find}). */
    public static Optional<TaskAttempt> find(String missionId, String taskId, int attempt) {
        return getEntityManager().unwrap(Session.class).byNaturalId(TaskAttempt.class)
                .using("missionId", missionId).using("taskId", taskId).using("attempt", attempt).loadOptional();
    }

    public static List<TaskAttempt> ofMission(String missionId) {
        return list("missionId = ?1 order by taskId, attempt", missionId);
    }

    public Usage usage() {
        return spent.toUsage();
    }

    public List<PlannedTask> plan() {
        if (planJson == null) {
            return null;
        }
        try {
            return FleetJson.MAPPER.readValue(planJson, new TypeReference<List<PlannedTask>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
