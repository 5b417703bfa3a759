package io.opencodefleet.common.plan;

import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.PlannedTask;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that a plan is a DAG the fleet can run: at least one task, at most {@link #maxTasks}, unique ids,
 * every {@code dependsOn} naming another task of the plan, and no cycle. Runs in O(tasks + edges) without
 * recursion, so a 10,000-task chain is fine.
 */
public final class PlanValidator {

    public static final int DEFAULT_MAX_TASKS = 10_000;
    private static final int MAX_PROBLEMS_LISTED = 20;

    private final int maxTasks;

    public PlanValidator(int maxTasks) {
        this.maxTasks = maxTasks;
    }

    public PlanValidator() {
        this(DEFAULT_MAX_TASKS);
    }

    /** Returns the plan as a graph, or throws {@link InvalidPlanException} listing every problem found. */
    public TaskGraph validate(List<PlannedTask> plan) {
        if (plan == null || plan.isEmpty()) {
            throw new InvalidPlanException(List.of("plan: must hold at least one task"));
        }
        if (plan.size() > maxTasks) {
            throw new InvalidPlanException(List.of("plan: " + plan.size() + " tasks is more than the limit of " + maxTasks));
        }
        List<String> problems = new ArrayList<>();
        Map<String, PlannedTask> byId = new HashMap<>(plan.size() * 2);
        for (int i = 0; i < plan.size(); i++) {
            PlannedTask task = plan.get(i);
            if (task == null) {
                problems.add("plan[" + i + "]: must be a task object");
                continue;
            }
            problems.addAll(MessageCodec.problems(task, "plan[" + i + "]."));
            if (task.id() == null) {
                continue;
            } else if (byId.putIfAbsent(task.id(), task) != null) {
                problems.add("plan[" + i + "].id: duplicate task id '" + task.id() + "'");
            }
        }
        for (int i = 0; i < plan.size(); i++) {
            PlannedTask task = plan.get(i);
            if (task == null || task.id() == null) {
                continue;
            }
            Set<String> seen = new HashSet<>();
            for (String dep : task.dependsOn()) {
                if (dep.equals(task.id())) {
                    problems.add("plan[" + i + "].dependsOn: task '" + task.id() + "' depends on itself");
                } else if (!byId.containsKey(dep)) {
                    problems.add("plan[" + i + "].dependsOn: task '" + task.id() + "' depends on unknown task '" + dep + "'");
                } else if (!seen.add(dep)) {
                    problems.add("plan[" + i + "].dependsOn: task '" + task.id() + "' lists '" + dep + "' twice");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidPlanException(truncate(problems));
        }
        TaskGraph graph = new TaskGraph(plan);
        List<String> cycle = graph.findCycle();
        if (!cycle.isEmpty()) {
            throw new InvalidPlanException(List.of("plan: dependency cycle " + String.join(" -> ", cycle)));
        }
        return graph;
    }

    /**
     * Files declared by two tasks that may run at the same time (neither depends, even indirectly, on the
     * other): their merges would conflict. One problem per such pair and file.
     */
    public List<String> parallelFileConflicts(TaskGraph graph) {
        Map<String, List<String>> tasksByFile = new HashMap<>();
        for (PlannedTask task : graph.tasks()) {
            for (String file : task.files()) {
                tasksByFile.computeIfAbsent(file, f -> new ArrayList<>()).add(task.id());
            }
        }
        Map<String, Set<String>> ancestors = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (var entry : tasksByFile.entrySet()) {
            List<String> ids = entry.getValue();
            for (int i = 0; i < ids.size(); i++) {
                for (int j = i + 1; j < ids.size(); j++) {
                    String a = ids.get(i);
                    String b = ids.get(j);
                    if (!ancestorsOf(graph, a, ancestors).contains(b) && !ancestorsOf(graph, b, ancestors).contains(a)) {
                        problems.add("plan: tasks '" + a + "' and '" + b + "' may run in parallel but both change " + entry.getKey()
                                + "; make one depend on the other or split the file's work");
                    }
                }
            }
        }
        return truncate(problems);
    }

    private static Set<String> ancestorsOf(TaskGraph graph, String id, Map<String, Set<String>> memo) {
        Set<String> known = memo.get(id);
        if (known != null) {
            return known;
        }
        Set<String> found = new HashSet<>();
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(graph.task(id).dependsOn());
        while (!todo.isEmpty()) {
            String next = todo.poll();
            if (found.add(next)) {
                todo.addAll(graph.task(next).dependsOn());
            }
        }
        memo.put(id, found);
        return found;
    }

    private static List<String> truncate(List<String> problems) {
        if (problems.size() <= MAX_PROBLEMS_LISTED) {
            return problems;
        }
        List<String> shown = new ArrayList<>(problems.subList(0, MAX_PROBLEMS_LISTED));
        shown.add("... and " + (problems.size() - MAX_PROBLEMS_LISTED) + " more problems");
        return shown;
    }
}
