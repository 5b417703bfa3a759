package io.opencodefleet.common.plan;

import io.opencodefleet.common.messages.PlannedTask;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A plan as a dependency graph: topological order, cycles, dependents, and the tasks ready to run. */
public final class TaskGraph {

    private final Map<String, PlannedTask> tasks = new LinkedHashMap<>();
    private final Map<String, List<String>> dependents = new HashMap<>();

    public TaskGraph(Collection<PlannedTask> plan) {
        for (PlannedTask task : plan) {
            tasks.put(task.id(), task);
            dependents.put(task.id(), new ArrayList<>());
        }
        for (PlannedTask task : plan) {
            for (String dep : task.dependsOn()) {
                List<String> list = dependents.get(dep);
                if (list != null) {
                    list.add(task.id());
                }
            }
        }
    }

    public int size() {
        return tasks.size();
    }

    public PlannedTask task(String id) {
        return tasks.get(id);
    }

    public Collection<PlannedTask> tasks() {
        return Collections.unmodifiableCollection(tasks.values());
    }

    /** Tasks that depend directly on {@code id}. */
    public List<String> dependentsOf(String id) {
        return Collections.unmodifiableList(dependents.getOrDefault(id, List.of()));
    }

    /** Kahn's algorithm; the order keeps plan order among tasks that are ready together. Empty if cyclic. */
    public List<String> topologicalOrder() {
        List<String> order = orderOfAcyclicPart();
        return order.size() == tasks.size() ? order : List.of();
    }

    /**
     * One dependency cycle as a closed path {@code a -> b -> a} (each task depends on the next), or empty.
     * Tasks Kahn's algorithm cannot order each depend on another such task, so walking dependencies among
     * them must revisit a task; the walk from that point is the cycle.
     */
    public List<String> findCycle() {
        List<String> order = orderOfAcyclicPart();
        if (order.size() == tasks.size()) {
            return List.of();
        }
        Set<String> ordered = Set.copyOf(order);
        String start = tasks.keySet().stream().filter(id -> !ordered.contains(id)).findFirst().orElseThrow();
        Map<String, Integer> positionInWalk = new HashMap<>();
        List<String> walk = new ArrayList<>();
        String current = start;
        while (!positionInWalk.containsKey(current)) {
            positionInWalk.put(current, walk.size());
            walk.add(current);
            current = tasks.get(current).dependsOn().stream()
                    .filter(dep -> tasks.containsKey(dep) && !ordered.contains(dep))
                    .findFirst().orElseThrow();
        }
        List<String> cycle = new ArrayList<>(walk.subList(positionInWalk.get(current), walk.size()));
        cycle.add(current);
        return cycle;
    }

    /** Tasks whose dependencies are all in {@code done} and that are neither done nor in {@code started}. */
    public List<String> ready(Set<String> done, Set<String> started) {
        List<String> ready = new ArrayList<>();
        for (PlannedTask task : tasks.values()) {
            if (!done.contains(task.id()) && !started.contains(task.id()) && done.containsAll(task.dependsOn())) {
                ready.add(task.id());
            }
        }
        return ready;
    }

    /** Kahn's algorithm over known dependencies: every task not on or behind a cycle. */
    private List<String> orderOfAcyclicPart() {
        Map<String, Integer> waiting = new HashMap<>(tasks.size() * 2);
        Deque<String> ready = new ArrayDeque<>();
        for (PlannedTask task : tasks.values()) {
            long known = task.dependsOn().stream().filter(tasks::containsKey).count();
            waiting.put(task.id(), (int) known);
            if (known == 0) {
                ready.add(task.id());
            }
        }
        List<String> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            String id = ready.poll();
            order.add(id);
            for (String dependent : dependents.get(id)) {
                if (waiting.merge(dependent, -1, Integer::sum) == 0) {
                    ready.add(dependent);
                }
            }
        }
        return order;
    }
}
