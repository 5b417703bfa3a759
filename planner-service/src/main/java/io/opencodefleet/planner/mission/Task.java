package io.opencodefleet.planner.mission;

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
import org.hibernate.Session;
import org.hibernate.annotations.NaturalId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One task of a mission's DAG and where it stands. {@code attempt} is its fencing epoch: every (re)dispatch but
 * the re-sending of a lost message starts a new one, and only the current one's results count.
 * {@code chargedAttempts} counts the agent's own failures (against {@code limits.maxAttempts}), {@code redispatches}
 * the fleet's. The task moves only through its transition methods, which refuse illegal moves.
 */
@Entity
@Table(name = "task")
public class Task extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "task_seq")
    @SequenceGenerator(name = "task_seq", sequenceName = "task_seq", allocationSize = 50)
    public Long id;
    @NaturalId
    @Column(name = "mission_id")
    public String missionId;
    @NaturalId
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
    /** How many tasks this one depends on, and how many depend on it (the plan's edges, counted once). */
    @Column(name = "dependency_count")
    public int dependencyCount;
    @Column(name = "dependent_count")
    public int dependentCount;
    public int attempt;
    @Column(name = "charged_attempts")
    public int chargedAttempts;
    public int redispatches;
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
    /** When the planner must look at this task again (what it waits on may be lost). */
    @Column(name = "deadline_at")
    public Instant deadlineAt;
    /** A task retried after the fleet's trouble waits until then (backoff). */
    @Column(name = "not_before")
    public Instant notBefore;

    /** By its natural id: a task this transaction loaded already costs no query, and none flushes the session. */
    public static Optional<Task> find(String missionId, String taskId) {
        return getEntityManager().unwrap(Session.class).byNaturalId(Task.class)
                .using("missionId", missionId).using("taskId", taskId).loadOptional();
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

    /** Whether {@code attempt} is this task's current epoch and the task still waits for its outcome. */
    public boolean awaits(int resultAttempt) {
        return attempt == resultAttempt && status.isInFlight();
    }

    /** A new task of {@code mission}, PENDING, waiting on {@code dependencies} tasks; {@code dependents} tasks wait on it. */
    static Task add(Mission mission, String taskId, int position, TaskKind kind, String title, String prompt, String files, int dependencies,
            int dependents) {
        Task task = new Task();
        task.missionId = mission.id;
        task.taskId = taskId;
        task.position = position;
        task.kind = kind;
        task.title = title;
        task.prompt = prompt;
        task.files = files;
        task.pendingDeps = dependencies;
        task.dependencyCount = dependencies;
        task.dependentCount = dependents;
        task.status = TaskState.PENDING;
        mission.taskMoved(null, TaskState.PENDING);
        task.persist();
        return task;
    }

    /** A new attempt (epoch) is published: PENDING → QUEUED. */
    void queue(Mission mission, Instant now, Instant deadline) {
        moveTo(mission, TaskState.QUEUED);
        attempt += 1;
        dispatchedAt = now;
        startedAt = null;
        lastHeartbeatAt = null;
        workerId = null;
        opencodeSession = null;
        opencodeUrl = null;
        notBefore = null;
        deadlineAt = deadline;
    }

    /** The assignment of the current attempt is published again (it was lost); same epoch. */
    void requeue(Mission mission, Instant deadline) {
        moveTo(mission, TaskState.QUEUED);
        deadlineAt = deadline;
    }

    /** A worker started the current attempt: QUEUED → RUNNING; the lease runs from here. */
    void start(Mission mission, Instant at, String worker) {
        moveTo(mission, TaskState.RUNNING);
        startedAt = at;
        lastHeartbeatAt = at;
        workerId = worker;
        deadlineAt = null;
    }

    /** The current attempt's result is in and the reviewer is asked: → REVIEWING until {@code deadline}. */
    void awaitReview(Mission mission, Instant deadline) {
        moveTo(mission, TaskState.REVIEWING);
        deadlineAt = deadline;
    }

    /** The reviewer approved and merged the current attempt. */
    void done(Mission mission, Instant now, String merged, String finalSummary) {
        moveTo(mission, TaskState.DONE);
        finishedAt = now;
        mergedCommit = merged;
        summary = finalSummary;
        deadlineAt = null;
    }

    /** Another attempt will follow, not before {@code earliest}; {@code charged} when the agent's work failed. */
    void retry(Mission mission, boolean charged, String nextFeedback, Instant earliest) {
        moveTo(mission, TaskState.PENDING);
        if (charged) {
            chargedAttempts += 1;
        } else {
            redispatches += 1;
        }
        if (nextFeedback != null) {
            feedback = nextFeedback;
        }
        notBefore = earliest;
        deadlineAt = earliest;
    }

    /** The task gives up: its attempts (or the fleet's retries) are spent. */
    void fail(Mission mission, Instant now, boolean charged) {
        moveTo(mission, TaskState.FAILED);
        if (charged) {
            chargedAttempts += 1;
        }
        finishedAt = now;
        deadlineAt = null;
    }

    void cancel(Mission mission, Instant now) {
        moveTo(mission, TaskState.CANCELLED);
        finishedAt = now;
        deadlineAt = null;
    }

    /** A person gives a failed or cancelled task another go (retry, resume): its attempt count starts again. */
    void reopen(Mission mission) {
        moveTo(mission, TaskState.PENDING);
        chargedAttempts = 0;
        redispatches = 0;
        finishedAt = null;
        notBefore = null;
        deadlineAt = null;
    }

    /** Every move goes through here: illegal ones are refused, and the mission's counts follow. */
    private void moveTo(Mission mission, TaskState next) {
        if (!status.mayMoveTo(next)) {
            throw new IllegalStateException("task " + missionId + "/" + taskId + " cannot move from " + status + " to " + next);
        }
        if (!mission.id.equals(missionId)) {
            throw new IllegalArgumentException("task " + missionId + "/" + taskId + " is not a task of mission " + mission.id);
        }
        mission.taskMoved(status, next);
        status = next;
    }
}
