package io.opencodefleet.planner.mission;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code fleet_missions_by_state{state}} and {@code fleet_tasks_by_state{state}}: counts from PostgreSQL,
 * refreshed on a schedule, so every planner replica reports the same truth.
 */
@ApplicationScoped
public class StateGauges {

    @Inject
    MeterRegistry metrics;

    @Inject
    EntityManager em;

    private final Map<MissionStatus, AtomicLong> missions = new EnumMap<>(MissionStatus.class);
    private final Map<TaskState, AtomicLong> tasks = new EnumMap<>(TaskState.class);

    void register(@Observes StartupEvent event) {
        for (MissionStatus state : MissionStatus.values()) {
            missions.put(state, gauge("fleet.missions.by.state", "Missions in each state", state.name()));
        }
        for (TaskState state : TaskState.values()) {
            tasks.put(state, gauge("fleet.tasks.by.state", "Tasks in each state", state.name()));
        }
    }

    @Scheduled(every = "${fleet.state-gauges-interval:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void refresh() {
        QuarkusTransaction.requiringNew().run(() -> {
            count("select m.status, count(m) from Mission m group by m.status", missions);
            count("select t.status, count(t) from Task t group by t.status", tasks);
        });
    }

    private <E extends Enum<E>> void count(String query, Map<E, AtomicLong> gauges) {
        gauges.values().forEach(g -> g.set(0));
        List<Object[]> rows = em.createQuery(query, Object[].class).getResultList();
        for (Object[] row : rows) {
            @SuppressWarnings("unchecked")
            E state = (E) row[0];
            gauges.get(state).set((Long) row[1]);
        }
    }

    private AtomicLong gauge(String name, String description, String state) {
        AtomicLong value = new AtomicLong();
        Gauge.builder(name, value, AtomicLong::get).description(description).tag("state", state.toLowerCase()).register(metrics);
        return value;
    }
}
