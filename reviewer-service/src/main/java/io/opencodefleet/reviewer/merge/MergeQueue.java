package io.opencodefleet.reviewer.merge;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.git.GitException;
import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.messages.CheckRun;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.opencode.OpencodeException;
import io.opencodefleet.common.plan.PlanValidator;
import io.opencodefleet.common.plan.TaskGraph;
import io.opencodefleet.reviewer.llm.LlmReviewer;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Verdict;
import io.opencodefleet.common.messages.VerifySpec;
import io.opencodefleet.reviewer.check.CheckRunner;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * A mission's merge queue. For each task result: merge the task branch into the integration branch in a
 * scratch clone, run the mission's checks on the merged tree, and push without force only when they pass,
 * so the integration branch stays green. Idempotent: a result whose commit is already on the integration
 * branch is APPROVED again, never merged twice.
 */
@ApplicationScoped
public class MergeQueue {

    private static final Logger LOG = Logger.getLogger(MergeQueue.class);

    @Inject
    CheckRunner checks;

    @Inject
    LlmReviewer llm;

    private final PlanValidator planValidator = new PlanValidator();

    @ConfigProperty(name = "fleet.reviewer.work-dir")
    Path workDir;

    @ConfigProperty(name = "fleet.reviewer.push-attempts", defaultValue = "5")
    int pushAttempts;

    public ReviewVerdict review(TaskResult result) {
        if (result.kind() != TaskKind.SEAL && result.status() != TaskStatus.SUCCEEDED) {
            String why = result.error() != null ? result.error().message() : "no reason given";
            return verdict(result, Verdict.REJECTED, "The previous attempt ended " + result.status() + ": " + why, null, List.of());
        }
        try {
            return switch (result.kind()) {
                case SEAL -> seal(result);
                case PLAN -> plan(result);
                case CODE -> merge(result);
            };
        } catch (GitException | OpencodeException | IllegalStateException e) {
            LOG.warnf(e, "Review of %s/%s attempt %d could not run", result.missionId(), result.taskId(), result.attempt());
            return verdict(result, Verdict.ERROR, "the review could not run: " + e.getMessage(), null, List.of());
        }
    }

    /** A plan from a planning agent: readable, valid (acyclic, bounded, every task a prompt), no parallel file clashes. */
    private ReviewVerdict plan(TaskResult result) {
        if (result.plan() == null) {
            String why = result.error() != null ? result.error().message() : "no plan in the result";
            return verdict(result, Verdict.REJECTED, "No plan could be read from your final message: " + why, null, List.of());
        }
        List<String> problems = new ArrayList<>();
        try {
            TaskGraph graph = planValidator.validate(result.plan());
            problems.addAll(planValidator.parallelFileConflicts(graph));
        } catch (InvalidMessageException e) {
            problems.addAll(e.problems());
        }
        if (!problems.isEmpty()) {
            return verdict(result, Verdict.REJECTED, "The plan was rejected:\n- " + String.join("\n- ", problems)
                    + "\nReply with a corrected plan.", null, List.of());
        }
        return verdict(result, Verdict.APPROVED, null, null, List.of());
    }

    private ReviewVerdict merge(TaskResult result) {
        if (result.commit() == null || result.commit().isBlank()) {
            return verdict(result, Verdict.REJECTED,
                    "The previous attempt committed no change. Make the change the task asks for; finishing without one is not done.", null, List.of());
        }
        GitWorkspace git = workspace(result.missionId(), result.repo().url());
        String integration = result.integrationBranch();
        for (int round = 1; round <= pushAttempts; round++) {
            String base = integrationHead(git, integration, result.repo().baseRef());
            git.git("fetch", "--quiet", "--no-tags", "origin", "+refs/heads/" + result.branch() + ":refs/remotes/origin/" + result.branch());
            if (git.status("cat-file", "-e", result.commit() + "^{commit}") != 0) {
                return verdict(result, Verdict.ERROR, "commit " + result.commit() + " is not on " + result.branch(), null, List.of());
            }
            if (git.isAncestor(result.commit(), base)) {
                LOG.infof("%s/%s attempt %d already merged at %s; approving again", result.missionId(), result.taskId(), result.attempt(), base);
                return verdict(result, Verdict.APPROVED, null, base, List.of());
            }
            String earlierMerge = mergeOfTask(git, base, result.taskId());
            if (earlierMerge != null) {
                // Another attempt of this task is merged already (its verdict was late or lost): a task is merged once.
                LOG.infof("%s/%s was merged at %s by an earlier attempt; approving attempt %d without merging it",
                        result.missionId(), result.taskId(), earlierMerge, result.attempt());
                return verdict(result, Verdict.APPROVED, null, earlierMerge, List.of());
            }
            git.git("checkout", "--quiet", "--force", "--detach", base);
            git.git("clean", "-fdxq");
            String message = "Merge task " + result.taskId() + " attempt " + result.attempt() + " of mission " + result.missionId()
                    + "\n\n" + GitBranches.trailers(result.missionId(), result.taskId(), result.attempt());
            if (git.status("merge", "--no-ff", "--no-edit", "-m", message, result.commit()) != 0) {
                List<String> conflicts = git.conflictedFiles();
                git.status("merge", "--abort");
                return verdict(result, Verdict.REJECTED, "Merge conflict with the integration branch in: " + String.join(", ", conflicts)
                        + ". Start again from the current integration branch and redo the change on top of it.", null, List.of());
            }
            List<CheckRun> runs = checks.runAll(result.verify().commands(), git.dir(), timeout(result.verify()));
            if (runs.stream().anyMatch(run -> !run.passed())) {
                return verdict(result, Verdict.REJECTED, describeFailure(runs), null, runs);
            }
            String merged = git.head();
            Usage reviewUsage = null;
            if (result.review().llm()) {
                LlmReviewer.Review review = llm.review(result, git.dir(), git.git("diff", base, merged));
                reviewUsage = review.usage();
                if (!review.approved()) {
                    return new ReviewVerdict(result.missionId(), result.taskId(), result.attempt(), Verdict.REJECTED,
                            "The review agent rejected the change:\n" + review.comments(), null, runs, result, List.of(), reviewUsage);
                }
            }
            if (git.push(merged, integration)) {
                LOG.infof("Merged %s/%s attempt %d into %s at %s", result.missionId(), result.taskId(), result.attempt(), integration, merged);
                return new ReviewVerdict(result.missionId(), result.taskId(), result.attempt(), Verdict.APPROVED, null, merged, runs,
                        result, warnings(result, git.changedFiles(base, merged)), reviewUsage);
            }
            LOG.infof("%s moved while merging %s; merging again (round %d)", integration, result.taskId(), round);
        }
        return verdict(result, Verdict.ERROR, integration + " kept moving; gave up after " + pushAttempts + " merges", null, List.of());
    }

    /** The final check: every verify and acceptance command on the integration branch as it stands. */
    private ReviewVerdict seal(TaskResult result) {
        GitWorkspace git = workspace(result.missionId(), result.repo().url());
        String head = integrationHead(git, result.integrationBranch(), result.repo().baseRef());
        git.git("checkout", "--quiet", "--force", "--detach", head);
        git.git("clean", "-fdxq");
        List<String> commands = new ArrayList<>(result.verify().commands());
        commands.addAll(result.verify().acceptance());
        List<CheckRun> runs = checks.runAll(commands, git.dir(), timeout(result.verify()));
        boolean passed = runs.stream().allMatch(CheckRun::passed);
        forget(result.missionId());
        return passed ? verdict(result, Verdict.APPROVED, null, head, runs) : verdict(result, Verdict.REJECTED, describeFailure(runs), null, runs);
    }

    /** Fetches the integration branch, creating it at the base ref on first need; returns its head commit. */
    private String integrationHead(GitWorkspace git, String integration, String baseRef) {
        if (git.remoteBranchExists(integration)) {
            git.fetch(integration);
            return git.resolve("refs/remotes/origin/" + integration);
        }
        git.fetch(baseRef);
        String base = git.resolve("refs/remotes/origin/" + baseRef);
        if (!git.push(base, integration)) {
            git.fetch(integration); // created concurrently by another reviewer
            return git.resolve("refs/remotes/origin/" + integration);
        }
        return base;
    }

    /** The mission's scratch clone, made on first use and reused for its later merges. */
    private GitWorkspace workspace(String missionId, String url) {
        Path dir = workDir.resolve(missionId);
        if (Files.isDirectory(dir.resolve(".git"))) {
            return GitWorkspace.at(dir);
        }
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        GitWorkspace.delete(dir);
        return GitWorkspace.clone(url, dir);
    }

    private void forget(String missionId) {
        try {
            GitWorkspace.delete(workDir.resolve(missionId));
        } catch (UncheckedIOException e) {
            LOG.warnf("Could not delete the scratch clone of %s: %s", missionId, e.getMessage());
        }
    }

    /** The merge commit on {@code head}'s history that merged {@code taskId} (any attempt), or null. */
    private static String mergeOfTask(GitWorkspace git, String head, String taskId) {
        String log = git.git("log", "--merges", "--format=%H %(trailers:key=" + GitBranches.TRAILER_TASK + ",valueonly,separator=)", head);
        for (String line : log.split("\n")) {
            int space = line.indexOf(' ');
            if (space > 0 && line.substring(space + 1).strip().equals(taskId)) {
                return line.substring(0, space);
            }
        }
        return null;
    }

    /** Approved work that looks off: files changed outside the task's declared files. */
    private static List<String> warnings(TaskResult result, List<String> changed) {
        if (result.files().isEmpty()) {
            return List.of();
        }
        List<String> outside = changed.stream().filter(file -> !result.files().contains(file)).toList();
        return outside.isEmpty() ? List.of()
                : List.of("changed files outside the task's declared files " + result.files() + ": " + String.join(", ", outside));
    }

    private static Duration timeout(VerifySpec verify) {
        return Duration.ofSeconds(verify.timeoutSeconds());
    }

    private static String describeFailure(List<CheckRun> runs) {
        return runs.stream().filter(run -> !run.passed())
                .map(run -> "Check `" + run.command() + "` failed with exit code " + run.exitCode() + ". Output (tail):\n" + run.outputTail().strip())
                .collect(Collectors.joining("\n\n"));
    }

    private static ReviewVerdict verdict(TaskResult result, Verdict verdict, String feedback, String mergedCommit, List<CheckRun> runs) {
        return new ReviewVerdict(result.missionId(), result.taskId(), result.attempt(), verdict, feedback, mergedCommit, runs, result, List.of(), null);
    }
}
