package io.opencodefleet.reviewer.review;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.messages.CheckRun;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.reviewer.ReviewerConfig;
import io.opencodefleet.reviewer.check.CheckRunner;
import io.opencodefleet.reviewer.llm.LlmReviewer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * One step of a mission's merge queue: merge the task's commit into the integration branch in the mission's scratch
 * clone, run the mission's checks on the merged tree, optionally a review by agent, and push without force only when
 * all pass, so the integration branch stays green. Idempotent: a task this mission already merged (matched on
 * {@code Fleet-Mission} and {@code Fleet-Task}, never across missions) is approved with its existing merge, found
 * again right before every push; when the remote moved meanwhile, the merge is redone on the new head.
 */
@ApplicationScoped
public class MergeReview {

    private static final Logger LOG = Logger.getLogger(MergeReview.class);

    @Inject
    ScratchClones clones;

    @Inject
    IntegrationBranch integration;

    @Inject
    CheckRunner checks;

    @Inject
    LlmReviewer llm;

    @Inject
    ReviewerConfig config;

    public ReviewVerdict review(ReviewRequest request) {
        if (request.commit() == null || request.branch() == null) {
            return Verdicts.error(request, "the review request names no commit to merge");
        }
        GitWorkspace git = clones.of(request.missionId(), request.repo());
        for (int round = 1; round <= config.pushAttempts(); round++) {
            String base = integration.head(git, request);
            Optional<String> merged = git.findTaskMerge(base, request.missionId(), request.taskId());
            if (merged.isPresent()) {
                LOG.infof("%s/%s is merged already at %s; approving attempt %d with that merge",
                        request.missionId(), request.taskId(), merged.get(), request.attempt());
                return Verdicts.approved(request, merged.get(), List.of(), List.of(), null);
            }
            git.fetch(request.branch());
            if (!git.hasCommit(request.commit())) {
                return Verdicts.error(request, "commit " + request.commit() + " is not on " + request.branch());
            }
            git.checkoutClean(base, null);
            GitWorkspace.MergeOutcome outcome = git.merge(request.commit(), "Merge task " + request.taskId() + " attempt "
                    + request.attempt() + " of mission " + request.missionId() + "\n\n"
                    + GitBranches.trailers(request.missionId(), request.taskId(), request.attempt()));
            if (!outcome.clean()) {
                return Verdicts.rejected(request, "Merge conflict with the integration branch in: " + String.join(", ", outcome.conflicts())
                        + ". Start again from the current integration branch and redo the change on top of it.", List.of(), null);
            }
            List<CheckRun> runs = checks.runAll(request.verify().commands(), git.dir(), Duration.ofSeconds(request.verify().timeoutSeconds()));
            if (runs.stream().anyMatch(run -> !run.passed())) {
                return Verdicts.rejected(request, Verdicts.describeFailure(runs), runs, null);
            }
            Usage reviewUsage = null;
            if (request.review().llm()) {
                LlmReviewer.Review review = llm.review(request, git.dir(), git.diff(base, outcome.merged()));
                reviewUsage = review.usage();
                if (!review.approved()) {
                    return Verdicts.rejected(request, "The review agent rejected the change:\n" + review.comments(), runs, reviewUsage);
                }
            }
            if (git.push(outcome.merged(), request.integrationBranch())) {
                LOG.infof("Merged %s/%s attempt %d into %s at %s", request.missionId(), request.taskId(), request.attempt(),
                        request.integrationBranch(), outcome.merged());
                return Verdicts.approved(request, outcome.merged(), runs, warnings(request, git.changedFiles(base, outcome.merged())), reviewUsage);
            }
            LOG.infof("%s moved while merging %s; merging again (round %d)", request.integrationBranch(), request.taskId(), round);
        }
        return Verdicts.error(request, request.integrationBranch() + " kept moving; gave up after " + config.pushAttempts() + " merges");
    }

    /** Approved work that looks off: files changed outside the task's declared files. */
    private static List<String> warnings(ReviewRequest request, List<String> changed) {
        if (request.files().isEmpty()) {
            return List.of();
        }
        List<String> outside = changed.stream().filter(file -> !request.files().contains(file)).toList();
        return outside.isEmpty() ? List.of()
                : List.of("changed files outside the task's declared files " + request.files() + ": " + String.join(", ", outside));
    }
}
