package io.opencodefleet.worker.task;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opencodefleet.worker.WorkerConfig;
import io.opencodefleet.worker.agent.AgentRun;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The attempts this worker is running, so a cancel can reach them, and missions recently cancelled. */
@ApplicationScoped
public class RunningTasks {

    public record Key(String missionId, String taskId, int attempt) {
    }

    private final Map<Key, AgentRun> running = new ConcurrentHashMap<>();
    private final Set<String> cancelled = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 10_000;
        }
    }));

    /** {@code fleet_worker_slots{state="busy"|"total"}}: what autoscaling and the dashboards read. */
    void registerSlotGauges(@Observes StartupEvent event, MeterRegistry metrics, WorkerConfig config) {
        Gauge.builder("fleet.worker.slots", running, Map::size).description("Task slots running an agent session")
                .tag("state", "busy").register(metrics);
        Gauge.builder("fleet.worker.slots", config.worker(), w -> w.slots()).description("Task slots of this worker")
                .tag("state", "total").register(metrics);
    }

    public void started(Key key, AgentRun run) {
        running.put(key, run);
    }

    public void finished(Key key) {
        running.remove(key);
    }

    public int size() {
        return running.size();
    }

    public boolean isCancelled(String missionId) {
        return cancelled.contains(missionId);
    }

    /** Aborts the mission's running sessions (one task's, when taskId is given); returns how many. */
    public int cancel(String missionId, String taskId) {
        if (taskId == null) {
            cancelled.add(missionId);
        }
        int aborted = 0;
        for (Map.Entry<Key, AgentRun> entry : running.entrySet()) {
            Key key = entry.getKey();
            if (key.missionId().equals(missionId) && (taskId == null || key.taskId().equals(taskId))) {
                entry.getValue().abort();
                aborted++;
            }
        }
        return aborted;
    }
}
