package io.opencodefleet.planner.mission;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.FlushModeType;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import java.util.List;

/** "taskId depends on dependsOn": indexed by dependency so finishing a task finds its dependents directly. */
@Entity
@Table(name = "task_edge")
public class TaskEdge extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "task_edge_seq")
    @SequenceGenerator(name = "task_edge_seq", sequenceName = "task_edge_seq", allocationSize = 50)
    public Long id;
    @Column(name = "mission_id")
    public String missionId;
    @Column(name = "task_id")
    public String taskId;
    @Column(name = "depends_on")
    public String dependsOn;

    public static TaskEdge of(String missionId, String taskId, String dependsOn) {
        TaskEdge edge = new TaskEdge();
        edge.missionId = missionId;
        edge.taskId = taskId;
        edge.dependsOn = dependsOn;
        return edge;
    }

    /*
     * Edges never change once stored, and are flushed as they are stored (MissionService.storeTasks), so these
     * queries need not flush the session first: an automatic flush dirty-checks every entity a batch transaction
     * loaded, once per query, which made applying a batch quadratic in its size (docs/benchmarks.md).
     */

    public static List<String> dependentsOf(String missionId, String taskId) {
        return getEntityManager().createQuery(
                "select e.taskId from TaskEdge e where e.missionId = ?1 and e.dependsOn = ?2", String.class)
                .setParameter(1, missionId).setParameter(2, taskId).setFlushMode(FlushModeType.COMMIT).getResultList();
    }

    public static List<String> dependenciesOf(String missionId, String taskId) {
        return getEntityManager().createQuery(
                "select e.dependsOn from TaskEdge e where e.missionId = ?1 and e.taskId = ?2", String.class)
                .setParameter(1, missionId).setParameter(2, taskId).setFlushMode(FlushModeType.COMMIT).getResultList();
    }
}
