package io.opencodefleet.reviewer.review;

import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.messages.CheckRun;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.reviewer.check.CheckRunner;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The final check: every verify and acceptance command on the integration branch as it stands. */
@ApplicationScoped
public class SealReview {

    @Inject
    ScratchClones clones;

    @Inject
    IntegrationBranch integration;

    @Inject
    CheckRunner checks;

    public ReviewVerdict review(ReviewRequest request) {
        GitWorkspace git = clones.of(request.missionId(), request.repo());
        String head = integration.head(git, request);
        git.checkoutClean(head, null);
        List<String> commands = new ArrayList<>(request.verify().commands());
        commands.addAll(request.verify().acceptance());
        List<CheckRun> runs = checks.runAll(commands, git.dir(), Duration.ofSeconds(request.verify().timeoutSeconds()));
        clones.forget(request.missionId());
        return runs.stream().allMatch(CheckRun::passed) ? Verdicts.approved(request, head, runs, List.of(), null)
                : Verdicts.rejected(request, Verdicts.describeFailure(runs), runs, null);
    }
}
