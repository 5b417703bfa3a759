package io.opencodefleet.reviewer.review;

import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.ReviewVerdict;
import io.opencodefleet.common.plan.PlanValidator;
import io.opencodefleet.common.plan.TaskGraph;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** A planning agent's DAG: valid (acyclic, bounded, every task a prompt) and no two parallel tasks on one file. */
@ApplicationScoped
public class PlanReview {

    private final PlanValidator validator = new PlanValidator();

    public ReviewVerdict review(ReviewRequest request) {
        List<String> problems = new ArrayList<>();
        try {
            TaskGraph graph = validator.validate(request.plan());
            problems.addAll(validator.parallelFileConflicts(graph));
        } catch (InvalidMessageException e) {
            problems.addAll(e.problems());
        }
        if (!problems.isEmpty()) {
            return Verdicts.rejected(request, "The plan was rejected:\n- " + String.join("\n- ", problems) + "\nReply with a corrected plan.",
                    List.of(), null);
        }
        return Verdicts.approved(request, null, List.of(), List.of(), null);
    }
}
