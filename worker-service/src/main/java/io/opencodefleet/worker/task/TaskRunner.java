package io.opencodefleet.worker.task;

import io.micrometer.core.instrument.MeterRegistry;
import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.git.GitException;
import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.health.Dependencies;
import io.opencodefleet.common.messages.ErrorInfo;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.opencode.OpencodeException;
import io.opencodefleet.common.opencode.OpencodeServer;
import io.opencodefleet.common.plan.PlanJson;
import io.opencodefleet.common.prompt.Prompts;
import io.opencodefleet.common.redact.Redactor;
import io.opencodefleet.common.retry.Retrier;
import io.opencodefleet.worker.WorkerConfig;
import io.opencodefleet.worker.agent.AgentRun;
import io.opencodefleet.worker.agent.CodingAgent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Runs one attempt of a task in a slot: the task branch at the integration branch's head, an OpenCode session with
 * the prompt, context and feedback, then one commit with the fleet's trailers (the agent's own commits folded in),
 * a push without force, and a result. The session's reply, not its silence, ends the work; the timeout, a cancel, a
 * newer attempt or a shutdown abort it. Trouble on the fleet's side (git remote, disk, OpenCode, the model
 * provider) is retried here with backoff; when it lasts, the result says so ({@code error.kind=infrastructure}) and
 * the planner tries again without using up an attempt. Only the agent's own failures count against the task.
 */
@ApplicationScoped
public class TaskRunner {

    private static final Logger LOG = Logger.getLogger(TaskRunner.class);

    @Inject
    CodingAgent agent;

    @Inject
    RunningTasks running;

    @Inject
    Heartbeats heartbeats;

    @Inject
    WorkerConfig config;

    @Inject
    WorkerIdentity identity;

    @Inject
    Workspaces workspaces;

    @Inject
    Dependencies readiness;

    @Inject
    MeterRegistry metrics;

    @Inject
    Redactor redactor;

    public TaskResult run(TaskAssignment task) {
        Attempt attempt = new Attempt(task, running.begin(task), System.nanoTime());
        heartbeats.beat(attempt.run);
        Path dir = workspaces.acquire();
        try {
            return attempt.in(dir);
        } catch (RuntimeException e) {
            LOG.warnf(e, "Task %s/%s attempt %d failed on the worker", task.missionId(), task.taskId(), task.attempt());
            return attempt.result(TaskStatus.FAILED, null, null, List.of(), null, null, Usage.ZERO,
                    ErrorInfo.of(ErrorInfo.INFRASTRUCTURE, Retrier.rootMessage(e)));
        } finally {
            running.end(task);
            workspaces.release(dir);
        }
    }

    /** What the agent reads: the task, the mission's context, and the reviewer's feedback on the last attempt. */
    static String prompt(TaskAssignment task) {
        return Prompts.render(task.kind() == TaskKind.PLAN ? "plan-task" : "code-task", Map.of(
                "title", task.title() == null ? task.taskId() : task.title(),
                "prompt", task.prompt().strip(),
                "context", task.context() == null || task.context().isBlank() ? "" : "\n## Context\n\n" + task.context().strip() + "\n",
                "feedback", task.feedback() == null || task.feedback().isBlank() ? ""
                        : "\n## Feedback on attempt " + (task.attempt() - 1) + " (the reviewer rejected it; fix this)\n\n" + task.feedback().strip() + "\n"));
    }

    /** One attempt's way through the slot. */
    private final class Attempt {
        final TaskAssignment task;
        final RunningTasks.Run run;
        final long started;
        String sessionId;

        Attempt(TaskAssignment task, RunningTasks.Run run, long started) {
            this.task = task;
            this.run = run;
            this.started = started;
        }

        TaskResult in(Path dir) {
            if (run.stopped() != null) {
                return stopped(null, Usage.ZERO);
            }
            GitWorkspace git = onFleetSide("preparing the workspace", () -> workspaces.prepare(dir, task));
            String base = git.head();
            if (task.kind() == TaskKind.CODE && onFleetSide("looking for " + task.branch(), () -> git.remoteBranchExists(task.branch()))) {
                // This attempt ran to completion before (a delivery whose result was lost): its pushed work is the answer.
                String pushed = onFleetSide("fetching " + task.branch(), () -> git.fetchHead(task.branch()));
                LOG.infof("Task %s/%s attempt %d was pushed before at %s; reporting it without running the agent again",
                        task.missionId(), task.taskId(), task.attempt(), pushed);
                return result(TaskStatus.SUCCEEDED, task.branch(), pushed, git.changedFiles(git.git("merge-base", base, pushed), pushed),
                        "This attempt's work was pushed by an earlier delivery; it stands.", null, Usage.ZERO, null);
            }

            phase("agent");
            boolean planning = task.kind() == TaskKind.PLAN;
            AgentRun session = onFleetSide("starting the agent", () -> agent.start(dir, task.missionId(), task.missionId() + "/" + task.taskId() + " a" + task.attempt(),
                    task.model(), planning ? OpencodeServer.PLANNER_AGENT : null, prompt(task),
                    Duration.ofSeconds(task.timeoutSeconds() == null ? 1800 : task.timeoutSeconds()), tokens -> run.tokens = tokens));
            sessionId = session.sessionId();
            run.attachUrl = agent.attachUrl(dir);
            run.attach(session);
            heartbeats.beat(run);
            AgentRun.Outcome outcome = session.await();
            Usage usage = outcome.usage() == null ? Usage.ZERO : outcome.usage();
            String summary = Sizes.cut(outcome.text() == null ? null : outcome.text().strip(), Sizes.SUMMARY);
            switch (outcome.ending()) {
                case ABORTED:
                    return stopped(summary, usage);
                case TIMED_OUT:
                    return result(TaskStatus.TIMED_OUT, null, null, List.of(), summary, null, usage,
                            ErrorInfo.of(ErrorInfo.TIMEOUT, "the agent did not finish within " + task.timeoutSeconds() + "s; the session was aborted"));
                case FAILED:
                    return result(TaskStatus.FAILED, null, null, List.of(), summary, null, usage,
                            ErrorInfo.of(outcome.infrastructure() ? ErrorInfo.INFRASTRUCTURE : ErrorInfo.AGENT, outcome.error()));
                default:
                    break;
            }
            if (planning) {
                return planResult(outcome, summary, usage);
            }
            phase("push");
            String commit;
            try {
                commit = git.commitAttempt(base, commitTitle() + (summary == null ? "" : "\n\n" + summary),
                        GitBranches.trailers(task.missionId(), task.taskId(), task.attempt()));
            } catch (GitException e) {
                boolean broken = !Files.isDirectory(dir.resolve(".git")) || git.status("rev-parse", "--verify", "--quiet", base + "^{commit}") != 0;
                return result(TaskStatus.FAILED, null, null, List.of(), summary, null, usage, broken
                        ? ErrorInfo.of(ErrorInfo.AGENT, "the agent broke the repository's .git, so its work could not be committed: " + e.getMessage())
                        : ErrorInfo.of(ErrorInfo.INFRASTRUCTURE, "the work could not be committed: " + e.getMessage()));
            }
            if (commit == null) {
                return result(TaskStatus.SUCCEEDED, null, null, List.of(), summary, null, usage, null);
            }
            String pushed = commit;
            if (!onFleetSide("pushing " + task.branch(), () -> git.push(pushed, task.branch()))) {
                // Kafka delivered this attempt twice (a rebalance, or a crash before the result went out) and the
                // other delivery pushed first: its commit is the attempt's work, so both results name the same one.
                commit = onFleetSide("fetching " + task.branch(), () -> git.fetchHead(task.branch()));
                summary = "Another delivery of this attempt pushed first; its commit stands." + (summary == null ? "" : "\n\n" + summary);
                LOG.infof("Task %s/%s attempt %d: the branch was pushed by another delivery; reporting %s",
                        task.missionId(), task.taskId(), task.attempt(), commit);
            }
            return result(TaskStatus.SUCCEEDED, task.branch(), commit, git.changedFiles(base, commit), summary, null, usage, null);
        }

        /** A planning task's result: the plan read from the agent's final message, or why none could be read. */
        private TaskResult planResult(AgentRun.Outcome outcome, String summary, Usage usage) {
            try {
                List<PlannedTask> plan = PlanJson.extract(outcome.text());
                return result(TaskStatus.SUCCEEDED, null, null, List.of(), "Planned " + plan.size() + " tasks", plan, usage, null);
            } catch (InvalidMessageException e) {
                return result(TaskStatus.SUCCEEDED, null, null, List.of(), summary, null, usage, ErrorInfo.of(ErrorInfo.PLAN, e.getMessage()));
            }
        }

        /** The attempt was stopped before the agent finished: handed back, cancelled, or replaced by a newer attempt. */
        private TaskResult stopped(String summary, Usage usage) {
            RunningTasks.Stop why = run.stopped();
            String reason = run.stopReason() != null ? run.stopReason() : "the session was aborted";
            if (why == RunningTasks.Stop.RELEASED) {
                return result(TaskStatus.RELEASED, null, null, List.of(), summary, null, usage, ErrorInfo.of(ErrorInfo.RELEASED, reason));
            }
            return result(TaskStatus.CANCELLED, null, null, List.of(), summary, null, usage, ErrorInfo.of(ErrorInfo.CANCELLED, reason));
        }

        /** A step on the fleet's side, retried with backoff while it fails for a reason that may pass. */
        private <T> T onFleetSide(String what, java.util.concurrent.Callable<T> step) {
            return new Retrier(config.worker().firstBackoff(), config.worker().maxBackoff(), config.worker().transientTries(), readiness,
                    () -> run.stopped() != null)
                    .call("workspace", what + " for " + task.missionId() + "/" + task.taskId(), TaskRunner::isTransient, step);
        }

        private void phase(String name) {
            run.phase = name;
            heartbeats.beat(run);
        }

        private String commitTitle() {
            String title = task.title() == null ? task.taskId() : task.title();
            return "Task " + task.taskId() + ": " + (title.length() > 60 ? title.substring(0, 60) : title);
        }

        TaskResult result(TaskStatus status, String branch, String commit, List<String> changed, String summary,
                List<PlannedTask> plan, Usage usage, ErrorInfo error) {
            long durationMs = (System.nanoTime() - started) / 1_000_000;
            metrics.counter("fleet.worker.tasks", "status", status.name().toLowerCase(Locale.ROOT)).increment();
            LOG.infof("Task %s/%s attempt %d %s in %d ms%s%s", task.missionId(), task.taskId(), task.attempt(), status, durationMs,
                    commit == null ? "" : " at " + commit, error == null ? "" : " (" + error.kind() + ": " + error.message() + ")");
            List<String> files = changed.size() > Sizes.FILES * 5 ? changed.subList(0, Sizes.FILES * 5) : changed;
            ErrorInfo masked = error == null ? null : ErrorInfo.of(error.kind(), redactor.redact(error.message()));
            return TaskResult.of(task, status, branch, commit, files, redactor.redact(summary), plan, usage, durationMs, identity.id(),
                    sessionId, masked);
        }
    }

    /** A git remote, the disk or OpenCode failing may pass; the agent's or a local git failure will not. */
    static boolean isTransient(Throwable error) {
        return (error instanceof GitException git && git.remote()) || error instanceof UncheckedIOException
                || error instanceof OpencodeException;
    }
}
