package io.opencodefleet.reviewer.review;

import io.opencodefleet.common.messages.CheckRun;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.common.redact.Redactor;
import java.util.List;
import java.util.stream.Collectors;

/** The reviewer's answers, named for what they say. */
final class Verdicts {

    private Verdicts() {
    }

    static ReviewVerdict approved(ReviewRequest request, String mergedCommit, List<CheckRun> checks, List<String> warnings, Usage reviewUsage) {
        return new ReviewVerdict(request.missionId(), request.taskId(), request.attempt(), Verdict.APPROVED, null, mergedCommit,
                checks, warnings, reviewUsage);
    }

    static ReviewVerdict rejected(ReviewRequest request, String feedback, List<CheckRun> checks, Usage reviewUsage) {
        return new ReviewVerdict(request.missionId(), request.taskId(), request.attempt(), Verdict.REJECTED,
                Sizes.cut(Redactor.global().redact(feedback), Sizes.FEEDBACK + Sizes.CHECK_OUTPUT), null, checks, List.of(), reviewUsage);
    }

    /** The review could not run: the fleet's trouble, not the agent's. */
    static ReviewVerdict error(ReviewRequest request, String why) {
        return new ReviewVerdict(request.missionId(), request.taskId(), request.attempt(), Verdict.ERROR,
                Sizes.cut(Redactor.global().redact(why), Sizes.FEEDBACK), null, List.of(), List.of(), null);
    }

    static String describeFailure(List<CheckRun> runs) {
        return runs.stream().filter(run -> !run.passed())
                .map(run -> "Check `" + run.command() + "` failed with exit code " + run.exitCode() + ". Output (tail):\n" + run.outputTail().strip())
                .collect(Collectors.joining("\n\n"));
    }
}
