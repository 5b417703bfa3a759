package io.opencodefleet.planner;

import static org.assertj.core.api.Assertions.assertThat;

import io.opencodefleet.planner.mission.Mission;
import io.quarkus.narayana.jta.QuarkusTransaction;
import java.util.Arrays;
import java.util.List;

/** The counts a mission keeps of its tasks equal the counts of its task rows, for every mission stored. */
public final class MissionCounts {

    public static void assertConsistent() {
        List<?> wrong = QuarkusTransaction.requiringNew().call(() -> Mission.getEntityManager().createNativeQuery("""
                select m.id, m.task_count, m.remaining_tasks, m.in_flight_tasks, c.total, c.remaining, c.in_flight
                from mission m, lateral (select count(*) as total,
                        count(*) filter (where t.status <> 'DONE') as remaining,
                        count(*) filter (where t.status in ('QUEUED', 'RUNNING', 'REVIEWING')) as in_flight
                    from task t where t.mission_id = m.id) c
                where (m.task_count, m.remaining_tasks, m.in_flight_tasks) <> (c.total, c.remaining, c.in_flight)""")
                .getResultList());
        assertThat(wrong.stream().map(row -> Arrays.toString((Object[]) row)).toList())
                .as("missions whose kept counts (all, remaining, in flight) differ from their task rows").isEmpty();
    }

    private MissionCounts() {
    }
}
