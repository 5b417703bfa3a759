package io.opencodefleet.worker.task;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.git.GitException;
import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.messages.ErrorInfo;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.PlannedTask;
import io.opencodefleet.common.messages.TaskKind;
import io.opencodefleet.common.opencode.OpencodeServer;
import io.opencodefleet.common.plan.PlanJson;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.common.messages.TaskProgress;
import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.TaskStatus;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.worker.WorkerConfig;
import io.opencodefleet.worker.agent.AgentRun;
import io.opencodefleet.worker.agent.CodingAgent;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.jboss.logging.Logger;

/**
 * Runs one attempt of a task: a fresh clone at the integration branch's head, a task branch, an OpenCode
 * session with the prompt, context and feedback (heartbeats while it works), then commit with trailers, push,
 * and a result. The session's reply, not its silence, ends the work; the timeout aborts it.
 */
@ApplicationScoped
public class TaskRunner {

    private static final Logger LOG = Logger.getLogger(TaskRunner.class);
    private static final int SUMMARY_CHARS = 4000;

    @Inject
    CodingAgent agent;

    @Inject
    RunningTasks running;

    @Inject
    WorkerConfig config;

    @Inject
    WorkerIdentity identity;

    @Inject
    Workspaces workspaces;

    @Inject
    MeterRegistry metrics;

    @Inject
    @Channel("progress")
    Emitter<Record<String, TaskProgress>> progress;

    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "heartbeats");
        thread.setDaemon(true);
        return thread;
    });

    public TaskResult run(TaskAssignment task) {
        long started = System.nanoTime();
        RunningTasks.Key key = new RunningTasks.Key(task.missionId(), task.taskId(), task.attempt());
        AtomicReference<String> phase = new AtomicReference<>("workspace");
        AtomicLong tokens = new AtomicLong();
        AtomicReference<String> sessionId = new AtomicReference<>();
        Runnable beat = () -> progress.send(Record.of(task.taskId(), new TaskProgress(task.missionId(), task.taskId(), task.attempt(), identity.id(),
                phase.get(), tokens.get(), Instant.now(), agent.attachUrl(), sessionId.get())));
        beat.run();
        long interval = config.worker().heartbeatInterval().toMillis();
        ScheduledFuture<?> beating = heartbeats.scheduleAtFixedRate(beat, interval, interval, TimeUnit.MILLISECONDS);
        Path dir = workspaces.acquire();
        try {
            if (running.isCancelled(task.missionId())) {
                return result(task, TaskStatus.CANCELLED, null, null, List.of(), null, Usage.ZERO, started, null,
                        new ErrorInfo("cancelled", "the mission was cancelled before the task started"));
            }
            GitWorkspace git = workspaces.prepare(dir, task);
            String base = git.head();

            phase.set("agent");
            boolean planning = task.kind() == TaskKind.PLAN;
            AgentRun run = agent.start(dir, task.missionId() + "/" + task.taskId() + " a" + task.attempt(), task.model(),
                    planning ? OpencodeServer.PLANNER_AGENT : null, prompt(task),
                    Duration.ofSeconds(task.timeoutSeconds() == null ? 1800 : task.timeoutSeconds()), tokens::set);
            sessionId.set(run.sessionId());
            running.started(key, run);
            beat.run();
            AgentRun.Outcome outcome;
            try {
                outcome = run.await();
            } finally {
                running.finished(key);
            }
            Usage usage = outcome.usage() == null ? Usage.ZERO : outcome.usage();
            String summary = trim(outcome.text());
            switch (outcome.ending()) {
                case ABORTED:
                    return result(task, TaskStatus.CANCELLED, null, null, List.of(), summary, usage, started, run.sessionId(),
                            new ErrorInfo("cancelled", "the session was aborted on cancel"));
                case TIMED_OUT:
                    return result(task, TaskStatus.TIMED_OUT, null, null, List.of(), summary, usage, started, run.sessionId(),
                            new ErrorInfo("timeout", "the agent did not finish within " + task.timeoutSeconds() + "s; the session was aborted"));
                case FAILED:
                    return result(task, TaskStatus.FAILED, null, null, List.of(), summary, usage, started, run.sessionId(),
                            new ErrorInfo("agent", outcome.error()));
                default:
                    break;
            }
            if (planning) {
                return planResult(task, outcome, summary, usage, started, run.sessionId());
            }
            phase.set("push");
            String commit = git.commitAll(commitTitle(task) + (summary == null ? "" : "\n\n" + summary),
                    GitBranches.trailers(task.missionId(), task.taskId(), task.attempt()));
            List<String> changed = List.of();
            if (commit != null && !git.push(commit, task.branch())) {
                // Kafka delivered this attempt twice (a rebalance, or a crash before the result went out) and the
                // other delivery pushed first: its commit is the attempt's work, so both results name the same one.
                git.fetch(task.branch());
                commit = git.resolve("refs/remotes/origin/" + task.branch());
                summary = "Another delivery of this attempt pushed first; its commit stands." + (summary == null ? "" : "\n\n" + summary);
                LOG.infof("Task %s/%s attempt %d: the branch was pushed by another delivery; reporting %s",
                        task.missionId(), task.taskId(), task.attempt(), commit);
            }
            if (commit != null) {
                changed = git.changedFiles(base, commit);
            }
            return result(task, TaskStatus.SUCCEEDED, task.branch(), commit, changed, summary, usage, started, run.sessionId(), null);
        } catch (RuntimeException e) {
            // git, the workspace or OpenCode failed: the attempt ends FAILED with the reason, never in the DLQ.
            LOG.warnf(e, "Task %s/%s attempt %d failed", task.missionId(), task.taskId(), task.attempt());
            String kind = e instanceof GitException || e instanceof UncheckedIOException ? "workspace" : "agent";
            return result(task, TaskStatus.FAILED, null, null, List.of(), null, Usage.ZERO, started, sessionId.get(),
                    new ErrorInfo(kind, e.getMessage()));
        } finally {
            beating.cancel(false);
            workspaces.release(dir);
        }
    }

    /** A planning task's result: the plan read from the agent's final message, or why none could be read. */
    private TaskResult planResult(TaskAssignment task, AgentRun.Outcome outcome, String summary, Usage usage, long started, String sessionId) {
        try {
            List<PlannedTask> plan = PlanJson.extract(outcome.text());
            return result(task, TaskStatus.SUCCEEDED, null, null, List.of(), "Planned " + plan.size() + " tasks", plan, usage, started, sessionId, null);
        } catch (InvalidMessageException e) {
            return result(task, TaskStatus.SUCCEEDED, null, null, List.of(), summary, null, usage, started, sessionId,
                    new ErrorInfo("plan", e.getMessage()));
        }
    }

    /** What the agent reads: the task, the mission's context, and the reviewer's feedback on the last attempt. */
    static String prompt(TaskAssignment task) {
        StringBuilder prompt = new StringBuilder();
        prompt.append("# Task: ").append(task.title() == null ? task.taskId() : task.title()).append("\n\n").append(task.prompt().strip()).append("\n");
        if (task.context() != null && !task.context().isBlank()) {
            prompt.append("\n## Context\n\n").append(task.context().strip()).append("\n");
        }
        if (task.feedback() != null && !task.feedback().isBlank()) {
            prompt.append("\n## Feedback on attempt ").append(task.attempt() - 1)
                    .append(" (the reviewer rejected it; fix this)\n\n").append(task.feedback().strip()).append("\n");
        }
        if (task.kind() == TaskKind.CODE) {
            prompt.append("\n## How to work\n\nChange the files in the current directory to do the task. "
                    + "Do not commit or push: the fleet commits your changes when you finish. "
                    + "End with a short summary of what you changed.\n");
        }
        return prompt.toString();
    }

    private static String commitTitle(TaskAssignment task) {
        String title = task.title() == null ? task.taskId() : task.title();
        return "Task " + task.taskId() + ": " + (title.length() > 60 ? title.substring(0, 60) : title);
    }

    private TaskResult result(TaskAssignment task, TaskStatus status, String branch, String commit, List<String> changed,
            String summary, Usage usage, long startedNanos, String sessionId, ErrorInfo error) {
        return result(task, status, branch, commit, changed, summary, null, usage, startedNanos, sessionId, error);
    }

    private TaskResult result(TaskAssignment task, TaskStatus status, String branch, String commit, List<String> changed,
            String summary, List<PlannedTask> plan, Usage usage, long startedNanos, String sessionId, ErrorInfo error) {
        long durationMs = (System.nanoTime() - startedNanos) / 1_000_000;
        metrics.counter("fleet.worker.tasks", "status", status.name().toLowerCase()).increment();
        LOG.infof("Task %s/%s attempt %d %s in %d ms%s", task.missionId(), task.taskId(), task.attempt(), status, durationMs,
                commit == null ? "" : " at " + commit);
        return TaskResult.of(task, status, branch, commit, changed, summary, plan, usage, durationMs, identity.id(), sessionId, error);
    }

    private static String trim(String text) {
        if (text == null) {
            return null;
        }
        String stripped = text.strip();
        return stripped.length() > SUMMARY_CHARS ? stripped.substring(0, SUMMARY_CHARS) + "…" : stripped;
    }

}
