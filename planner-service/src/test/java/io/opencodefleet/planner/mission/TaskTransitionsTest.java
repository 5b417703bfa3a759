package io.opencodefleet.planner.mission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opencodefleet.common.messages.TaskKind;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A task moves only along the lifecycle; fencing epochs and charged attempts are counted apart; the mission's
 * counts of its tasks follow every move.
 */
class TaskTransitionsTest {

    private final Mission mission = mission();

    private static Mission mission() {
        Mission mission = new Mission();
        mission.id = "m";
        return mission;
    }

    private Task task() {
        Task task = new Task();
        task.missionId = "m";
        task.taskId = "t";
        task.kind = TaskKind.CODE;
        task.status = TaskState.PENDING;
        mission.taskMoved(null, TaskState.PENDING);
        return task;
    }

    private void assertCounts(int all, int remaining, int inFlight) {
        assertThat(new int[] {mission.taskCount, mission.remainingTasks, mission.inFlightTasks})
                .as("the mission's counts: all, remaining, in flight").containsExactly(all, remaining, inFlight);
    }

    @Test
    void everyDispatchIsANewEpochButOnlyTheAgentsFailuresAreCharged() {
        Task task = task();
        Instant now = Instant.now();
        task.queue(mission, now, now.plusSeconds(30));
        assertThat(task.attempt).isEqualTo(1);
        assertThat(task.awaits(1)).isTrue();
        assertCounts(1, 1, 1);
        task.start(mission, now, "w1");
        task.retry(mission, false, null, now.plusSeconds(2)); // lease expired: not charged
        assertThat(task.status).isEqualTo(TaskState.PENDING);
        assertThat(task.awaits(1)).isFalse();
        assertCounts(1, 1, 0);
        assertThat(task.notBefore).isEqualTo(now.plusSeconds(2));
        task.queue(mission, now, now.plusSeconds(30));
        assertThat(task.attempt).as("a new epoch fences attempt 1").isEqualTo(2);
        task.awaitReview(mission, now.plusSeconds(60));
        task.retry(mission, true, "tests fail", null); // rejected: charged
        assertThat(task.chargedAttempts).isEqualTo(1);
        assertThat(task.redispatches).isEqualTo(1);
        assertThat(task.feedback).isEqualTo("tests fail");
    }

    @Test
    void aLostAssignmentIsSentAgainWithTheSameEpoch() {
        Task task = task();
        task.queue(mission, Instant.now(), Instant.now());
        task.requeue(mission, Instant.now().plusSeconds(30));
        assertThat(task.attempt).isEqualTo(1);
        assertThat(task.status).isEqualTo(TaskState.QUEUED);
        assertCounts(1, 1, 1);
    }

    @Test
    void aTaskOfAnotherMissionIsRefused() {
        Task task = task();
        Mission other = new Mission();
        other.id = "other";
        assertThatThrownBy(() -> task.queue(other, Instant.now(), Instant.now())).isInstanceOf(IllegalArgumentException.class);
        assertThat(task.status).isEqualTo(TaskState.PENDING);
    }

    @Test
    void illegalMovesAreRefused() {
        Task task = task();
        assertThatThrownBy(() -> task.done(mission, Instant.now(), "abc", null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot move from PENDING to DONE");
        assertThatThrownBy(() -> task.start(mission, Instant.now(), "w")).isInstanceOf(IllegalStateException.class);
        task.queue(mission, Instant.now(), Instant.now());
        task.awaitReview(mission, Instant.now());
        task.done(mission, Instant.now(), "abc", "ok");
        assertCounts(1, 0, 0);
        assertThatThrownBy(() -> task.retry(mission, true, null, null)).as("DONE is final").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> task.reopen(mission)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPersonsRetryGivesAFailedTaskAFreshSetOfAttempts() {
        Task task = task();
        task.queue(mission, Instant.now(), Instant.now());
        task.fail(mission, Instant.now(), true);
        assertThat(task.chargedAttempts).isEqualTo(1);
        assertCounts(1, 1, 0);
        task.reopen(mission);
        assertThat(task.status).isEqualTo(TaskState.PENDING);
        assertThat(task.chargedAttempts).isZero();
    }
}
