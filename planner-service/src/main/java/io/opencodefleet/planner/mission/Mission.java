package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.Usage;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
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

/**
 * A mission's row: its accepted spec, lifecycle status, accumulated usage and the state of its final check
 * (the seal request's epoch and deadline). Every change to a mission happens under its row lock.
 */
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
    /** The epoch of the seal request: a verdict of an older one is stale. */
    @Column(name = "seal_attempt")
    public int sealAttempt;
    /** Set while a seal is requested: when to check whether the request or its verdict was lost. */
    @Column(name = "seal_deadline_at")
    public Instant sealDeadlineAt;
    /** Seal reviews that could not run (the reviewer's ERROR), bounded like a task's redispatches. */
    @Column(name = "seal_errors")
    public int sealErrors;
    /**
     * Counts kept with every task move ({@link Task}'s transitions), so moving a mission on never counts its tasks:
     * all of them, those not DONE, and those QUEUED, RUNNING or REVIEWING.
     */
    @Column(name = "task_count")
    public int taskCount;
    @Column(name = "remaining_tasks")
    public int remainingTasks;
    @Column(name = "in_flight_tasks")
    public int inFlightTasks;

    /** Set by what may let the mission move on; the transaction moves it on once, at its end ({@code MissionService#settle}). */
    @Transient
    boolean advanceDue;

    @Transient
    private MissionSubmitted submitted;

    /** Loads the mission and locks its row: every change to one mission happens under this lock. */
    public static Optional<Mission> lock(String id) {
        return Optional.ofNullable(findById(id, LockModeType.PESSIMISTIC_WRITE));
    }

    /** The spec as accepted, minus its plan (the tasks are rows of their own); written by the planner, validated then. */
    public MissionSubmitted submitted() {
        if (submitted == null) {
            submitted = FleetJson.read(spec, MissionSubmitted.class);
        }
        return submitted;
    }

    public void setSubmitted(MissionSubmitted value) {
        submitted = value.withoutPlan();
        spec = FleetJson.write(submitted);
    }

    /** Keeps the counts as one of its tasks moves (or, from {@code null}, is added). */
    void taskMoved(TaskState from, TaskState to) {
        if (from == null) {
            taskCount += 1;
        }
        remainingTasks += (to == TaskState.DONE ? 0 : 1) - (from == null || from == TaskState.DONE ? 0 : 1);
        inFlightTasks += (to.isInFlight() ? 1 : 0) - (from != null && from.isInFlight() ? 1 : 0);
    }

    public Usage usage() {
        return spent.toUsage();
    }

    public boolean sealRequested() {
        return sealDeadlineAt != null;
    }

    void moveTo(MissionStatus next, String reason, Instant now) {
        if (status.isFinished()) {
            throw new IllegalStateException("mission " + id + " is " + status + " and cannot move to " + next);
        }
        status = next;
        statusReason = reason;
        updatedAt = now;
        if (next.isFinished()) {
            sealDeadlineAt = null;
        }
    }

    /** A new seal request (epoch) goes out now; its verdict is due by {@code deadline}. */
    void requestSeal(Instant deadline) {
        sealAttempt += 1;
        sealDeadlineAt = deadline;
    }
}
