package io.opencodefleet.common.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opencodefleet.common.messages.PlannedTask;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlanValidatorTest {

    private final PlanValidator validator = new PlanValidator();

    private static PlannedTask task(String id, String... dependsOn) {
        return new PlannedTask(id, null, "do " + id, List.of(dependsOn), List.of());
    }

    @Test
    void diamondIsValidAndOrdered() {
        TaskGraph graph = validator.validate(List.of(task("a"), task("b", "a"), task("c", "a"), task("d", "b", "c")));
        assertThat(graph.topologicalOrder()).containsExactly("a", "b", "c", "d");
        assertThat(graph.ready(Set.of(), Set.of())).containsExactly("a");
        assertThat(graph.ready(Set.of("a"), Set.of("b"))).containsExactly("c");
        assertThat(graph.ready(Set.of("a", "b"), Set.of("c"))).isEmpty();
        assertThat(graph.ready(Set.of("a", "b", "c"), Set.of())).containsExactly("d");
        assertThat(graph.dependentsOf("a")).containsExactly("b", "c");
    }

    @Test
    void cycleIsNamed() {
        assertThatThrownBy(() -> validator.validate(List.of(task("a", "c"), task("b", "a"), task("c", "b"), task("d"))))
                .isInstanceOf(InvalidPlanException.class)
                .hasMessage("plan: dependency cycle a -> c -> b -> a");
    }

    @Test
    void cycleBehindAnAcyclicPrefixIsNamedWithoutItsTail() {
        assertThatThrownBy(() -> validator.validate(List.of(task("x", "y"), task("y", "z"), task("z", "y"))))
                .hasMessage("plan: dependency cycle y -> z -> y");
    }

    @Test
    void selfDependency() {
        assertThatThrownBy(() -> validator.validate(List.of(task("a", "a"))))
                .hasMessage("plan[0].dependsOn: task 'a' depends on itself");
    }

    @Test
    void unknownDependency() {
        assertThatThrownBy(() -> validator.validate(List.of(task("a"), task("b", "ghost"))))
                .hasMessage("plan[1].dependsOn: task 'b' depends on unknown task 'ghost'");
    }

    @Test
    void duplicateId() {
        assertThatThrownBy(() -> validator.validate(List.of(task("a"), task("a"))))
                .hasMessage("plan[1].id: duplicate task id 'a'");
    }

    @Test
    void emptyAndOversizedPlans() {
        assertThatThrownBy(() -> validator.validate(List.of())).hasMessage("plan: must hold at least one task");
        assertThatThrownBy(() -> new PlanValidator(2).validate(List.of(task("a"), task("b"), task("c"))))
                .hasMessage("plan: 3 tasks is more than the limit of 2");
    }

    @Test
    void tenThousandTaskDagIsValidatedAndOrdered() {
        List<PlannedTask> plan = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            // A long chain with fan-in: task i depends on i-1 and, every 10th, on i-7.
            List<String> deps = new ArrayList<>();
            if (i > 0) {
                deps.add("t" + (i - 1));
            }
            if (i % 10 == 0 && i >= 7) {
                deps.add("t" + (i - 7));
            }
            plan.add(new PlannedTask("t" + i, null, "step " + i, deps, List.of()));
        }
        TaskGraph graph = validator.validate(plan);
        List<String> order = graph.topologicalOrder();
        assertThat(order).hasSize(10_000).startsWith("t0", "t1").endsWith("t9999");
        Set<String> seen = new HashSet<>();
        for (String id : order) {
            assertThat(seen).containsAll(graph.task(id).dependsOn());
            seen.add(id);
        }
    }

    @Test
    void tenThousandTaskCycleIsFoundWithoutRecursion() {
        List<PlannedTask> plan = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            plan.add(task("t" + i, "t" + ((i + 1) % 10_000)));
        }
        assertThatThrownBy(() -> validator.validate(plan))
                .hasMessageStartingWith("plan: dependency cycle t0 -> t1 -> t2")
                .hasMessageEndingWith("t9999 -> t0");
    }
}
