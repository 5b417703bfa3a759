package io.opencodefleet.worker.task;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opencodefleet.common.messages.ControlCommand;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.worker.WorkerConfig;
import io.opencodefleet.worker.agent.AgentRun;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The attempts this worker is running, with what heartbeats report (phase, tokens, session), so a cancel, a
 * superseding attempt or a shutdown can stop them; and the missions recently cancelled, so an attempt that had not
 * started yet does not start.
 */
@ApplicationScoped
public class RunningTasks {

    public record Key(String missionId, String taskId, int attempt) {
        static Key of(TaskAssignment task) {
            return new Key(task.missionId(), task.taskId(), task.attempt());
        }
    }

    /** Why a run was stopped before its agent finished. */
    public enum Stop {
        /** The mission was cancelled. */
        CANCELLED,
        /** A newer attempt of the task replaced this one. */
        SUPERSEDED,
        /** This worker is shutting down and hands the task back. */
        RELEASED
    }

    /** One attempt on this worker. */
    public static final class Run {
        final TaskAssignment task;
        volatile String phase = "workspace";
        volatile long tokens;
        volatile String sessionId;
        /** Where a person attaches to the session (the slot's OpenCode server). */
        volatile String attachUrl;
        private AgentRun agent;
        private Stop stop;
        private String stopReason;

        Run(TaskAssignment task) {
            this.task = task;
        }

        public TaskAssignment task() {
            return task;
        }

        /** Attaches the agent's session; a stop that came first aborts it at once. */
        synchronized void attach(AgentRun run) {
            agent = run;
            sessionId = run.sessionId();
            if (stop != null) {
                run.abort();
            }
        }

        synchronized void stop(Stop why, String reason) {
            if (stop == null || why == Stop.CANCELLED) {
                stop = why;
                stopReason = reason;
            }
            if (agent != null) {
                agent.abort();
            }
        }

        synchronized Stop stopped() {
            return stop;
        }

        synchronized String stopReason() {
            return stopReason;
        }
    }

    private final Map<Key, Run> runs = new ConcurrentHashMap<>();
    private final Set<String> cancelled = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 10_000;
        }
    }));

    /** {@code fleet_worker_slots{state="busy"|"total"}}: what autoscaling and the dashboards read. */
    void registerSlotGauges(@Observes StartupEvent event, MeterRegistry metrics, WorkerConfig config) {
        Gauge.builder("fleet.worker.slots", runs, Map::size).description("Task slots running an attempt")
                .tag("state", "busy").register(metrics);
        Gauge.builder("fleet.worker.slots", config.worker(), w -> w.slots()).description("Task slots of this worker")
                .tag("state", "total").register(metrics);
    }

    Run begin(TaskAssignment task) {
        Run run = new Run(task);
        if (cancelled.contains(task.missionId())) {
            run.stop(Stop.CANCELLED, "the mission was cancelled before the task started");
        }
        runs.put(Key.of(task), run);
        return run;
    }

    void end(TaskAssignment task) {
        runs.remove(Key.of(task));
    }

    public Collection<Run> all() {
        return runs.values();
    }

    public int size() {
        return runs.size();
    }

    /** Stops the runs a control command names; returns how many. */
    public int apply(ControlCommand command) {
        if (command.taskId() == null) {
            cancelled.add(command.missionId());
        }
        Stop why = command.taskId() != null && command.attempt() != null ? Stop.SUPERSEDED : Stop.CANCELLED;
        int stopped = 0;
        for (Run run : runs.values()) {
            if (command.stops(run.task.missionId(), run.task.taskId(), run.task.attempt())) {
                run.stop(why, command.reason());
                stopped++;
            }
        }
        return stopped;
    }

    /** Hands every run back (the worker is shutting down). */
    public void releaseAll(String reason) {
        runs.values().forEach(run -> run.stop(Stop.RELEASED, reason));
    }
}
