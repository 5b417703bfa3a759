package io.opencodefleet.planner.mission;

import static org.assertj.core.api.Assertions.assertThat;

import io.opencodefleet.common.messages.ReviewPolicy;
import io.opencodefleet.common.messages.ReviewPolicy.Intervene;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every decision of the attempt policy, without a database or a broker. */
class AttemptPolicyTest {

    private final AttemptPolicy policy = new AttemptPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(60));

    @Test
    void theAgentsFailuresUseUpAttemptsUntilMaxAttempts() {
        Fault rejected = Fault.agent("rejected", "tests fail");
        assertThat(policy.onFault(rejected, 0, 0, 3, "t").action()).isEqualTo(AttemptPolicy.Action.RETRY);
        assertThat(policy.onFault(rejected, 1, 0, 3, "t").delay()).as("the agent retries at once").isZero();
        AttemptPolicy.Decision last = policy.onFault(rejected, 2, 0, 3, "t");
        assertThat(last.action()).isEqualTo(AttemptPolicy.Action.GIVE_UP);
        assertThat(last.reason()).isEqualTo("task t failed after 3 attempts: rejected");
        assertThat(policy.onFault(rejected, 0, 0, 1, "t").action()).as("maxAttempts 1: one try").isEqualTo(AttemptPolicy.Action.GIVE_UP);
    }

    @Test
    void theFleetsFailuresUseUpNoAttemptButAreBoundedAndBackOff() {
        Fault infra = Fault.infrastructure("git fetch failed");
        AttemptPolicy.Decision first = policy.onFault(infra, 2, 0, 3, "t");
        assertThat(first.action()).as("not charged: attempts spent by the agent do not matter").isEqualTo(AttemptPolicy.Action.RETRY);
        assertThat(first.delay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.onFault(infra, 0, 1, 3, "t").delay()).isEqualTo(Duration.ofSeconds(4));
        assertThat(policy.onFault(infra, 0, 2, 3, "t").delay()).isEqualTo(Duration.ofSeconds(8));
        AttemptPolicy.Decision spent = policy.onFault(infra, 0, 3, 3, "t");
        assertThat(spent.action()).isEqualTo(AttemptPolicy.Action.GIVE_UP);
        assertThat(spent.reason()).isEqualTo("task t could not be run: the fleet failed it 4 times, last: git fetch failed");
        assertThat(policy.backoff(40)).as("capped").isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void aHandedBackTaskGoesOutAgainAtOnce() {
        AttemptPolicy.Decision released = policy.onFault(Fault.released("worker shutting down"), 0, 0, 3, "t");
        assertThat(released.action()).isEqualTo(AttemptPolicy.Action.RETRY);
        assertThat(released.delay()).isZero();
        assertThat(Fault.released("x").charged()).isFalse();
        assertThat(Fault.infrastructure("x").charged()).isFalse();
        assertThat(Fault.agent("x", null).charged()).isTrue();
    }

    @Test
    void everyInterventionPolicy() {
        assertThat(AttemptPolicy.onGiveUp(policy(Intervene.NEVER))).isEqualTo(AttemptPolicy.MissionResponse.FAIL);
        assertThat(AttemptPolicy.onGiveUp(policy(Intervene.ON_WARNING))).isEqualTo(AttemptPolicy.MissionResponse.PAUSE);
        assertThat(AttemptPolicy.onGiveUp(policy(Intervene.ON_ERROR))).isEqualTo(AttemptPolicy.MissionResponse.PAUSE);
        assertThat(AttemptPolicy.onGiveUp(policy(Intervene.ALWAYS))).isEqualTo(AttemptPolicy.MissionResponse.PAUSE);

        assertThat(AttemptPolicy.pausesOnWarnings(policy(Intervene.NEVER))).isFalse();
        assertThat(AttemptPolicy.pausesOnWarnings(policy(Intervene.ON_ERROR))).isFalse();
        assertThat(AttemptPolicy.pausesOnWarnings(policy(Intervene.ON_WARNING))).isTrue();
        assertThat(AttemptPolicy.pausesOnWarnings(policy(Intervene.ALWAYS))).isTrue();

        assertThat(AttemptPolicy.asksBeforeDispatch(policy(Intervene.ALWAYS))).isTrue();
        assertThat(AttemptPolicy.asksBeforeDispatch(policy(Intervene.ON_WARNING))).isFalse();
    }

    private static ReviewPolicy policy(Intervene intervene) {
        return new ReviewPolicy(false, intervene);
    }
}
