package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.ReviewPolicy;
import java.time.Duration;

/**
 * What happens after a fault, in one place for verdicts, results, leases and lost messages alike: another attempt
 * (at once after the agent's failure or a hand-back, after a growing backoff after the fleet's trouble) or the
 * task gives up; and when a task gives up, whether the mission pauses for a person or fails.
 *
 * @param maxRedispatches how many times the fleet's trouble may re-dispatch one task before it gives up
 * @param firstBackoff the wait before the first retry after the fleet's trouble; it doubles each time
 * @param maxBackoff the longest such wait
 */
public record AttemptPolicy(int maxRedispatches, Duration firstBackoff, Duration maxBackoff) {

    public enum Action {
        RETRY, GIVE_UP
    }

    /** The decision: retry after {@code delay}, or give up with {@code reason}. */
    public record Decision(Action action, Duration delay, String reason) {
        public boolean retries() {
            return action == Action.RETRY;
        }
    }

    /** How a mission responds when one of its tasks gives up, or its budget is spent. */
    public enum MissionResponse {
        PAUSE, FAIL
    }

    /**
     * @param chargedAttempts the agent's failed attempts before this fault
     * @param redispatches the fleet's re-dispatches before this fault
     * @param maxAttempts the mission's {@code limits.maxAttempts}
     */
    public Decision onFault(Fault fault, int chargedAttempts, int redispatches, int maxAttempts, String taskId) {
        if (fault.charged()) {
            int used = chargedAttempts + 1;
            return used < maxAttempts ? new Decision(Action.RETRY, Duration.ZERO, null)
                    : new Decision(Action.GIVE_UP, Duration.ZERO, "task " + taskId + " failed after " + used + " attempts: " + fault.reason());
        }
        if (redispatches >= maxRedispatches) {
            return new Decision(Action.GIVE_UP, Duration.ZERO, "task " + taskId + " could not be run: the fleet failed it "
                    + (redispatches + 1) + " times, last: " + fault.reason());
        }
        return new Decision(Action.RETRY, fault.kind() == Fault.Kind.RELEASED ? Duration.ZERO : backoff(redispatches), null);
    }

    /** The wait before the {@code n}-th (0-based) retry after the fleet's trouble. */
    public Duration backoff(int n) {
        long millis = firstBackoff.toMillis() << Math.min(n, 20);
        return millis <= 0 || millis > maxBackoff.toMillis() ? maxBackoff : Duration.ofMillis(millis);
    }

    /** A task that gave up, a failed final check, or a spent budget: pause when the policy lets a person decide. */
    public static MissionResponse onGiveUp(ReviewPolicy review) {
        return review.pausesOn(ReviewPolicy.Intervene.ON_ERROR) ? MissionResponse.PAUSE : MissionResponse.FAIL;
    }

    /** Approved work with warnings pauses a mission whose policy is on-warning or always. */
    public static boolean pausesOnWarnings(ReviewPolicy review) {
        return review.pausesOn(ReviewPolicy.Intervene.ON_WARNING);
    }

    /** Policy {@code always}: a person approves every dispatch. */
    public static boolean asksBeforeDispatch(ReviewPolicy review) {
        return review.intervene() == ReviewPolicy.Intervene.ALWAYS;
    }
}
