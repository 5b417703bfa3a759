package io.opencodefleet.planner.mission;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import jakarta.persistence.FlushModeType;

/** Which attempt of which task a worker's or the reviewer's record is about. */
public record TaskRef(String missionId, String taskId, int attempt) {

    /**
     * Loads the tasks a batch of records names, and with {@code attempts} their attempts, in one query each: every
     * record's lookup by natural id ({@link Task#find}, {@link TaskAttempt#find}) then finds its row in the session
     * instead of asking the database once per record. A superset of rows may load; none is missed.
     */
    public static void preload(Collection<TaskRef> refs, boolean attempts) {
        if (refs.isEmpty()) {
            return;
        }
        Set<String> missions = new TreeSet<>();
        Set<String> tasks = new TreeSet<>();
        Set<Integer> epochs = new TreeSet<>();
        for (TaskRef ref : refs) {
            missions.add(ref.missionId());
            tasks.add(ref.taskId());
            epochs.add(ref.attempt());
        }
        // Native SQL with one text parameter per list: one statement whatever the batch's size (an IN list of
        // parameters is translated anew for every size). Ids never hold a comma (Ids.ID).
        String missionList = String.join(",", missions);
        String taskList = String.join(",", tasks);
        Task.getEntityManager().createNativeQuery("select * from task where mission_id = any(string_to_array(?1, ','))"
                + " and task_id = any(string_to_array(?2, ','))", Task.class)
                .setParameter(1, missionList).setParameter(2, taskList).setFlushMode(FlushModeType.COMMIT).getResultList();
        if (attempts) {
            Task.getEntityManager().createNativeQuery("select * from task_attempt where mission_id = any(string_to_array(?1, ','))"
                    + " and task_id = any(string_to_array(?2, ',')) and attempt = any(string_to_array(?3, ',')::int[])", TaskAttempt.class)
                    .setParameter(1, missionList).setParameter(2, taskList)
                    .setParameter(3, String.join(",", epochs.stream().map(String::valueOf).toList()))
                    .setFlushMode(FlushModeType.COMMIT).getResultList();
        }
    }
}
