package io.opencodefleet.common.messages;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import java.util.List;

/**
 * A task for a worker. {@code attempt} is the fencing epoch: results of any other attempt are ignored.
 * {@code integrationBranch}, {@code verify}, {@code files}, {@code review} and {@code reviewModel} travel with
 * the task (and on in its result) so the stateless reviewer can judge it without asking the planner.
 */
public record TaskAssignment(
        @NotBlank String missionId,
        @NotBlank String taskId,
        @Positive int attempt,
        @NotNull TaskKind kind,
        String title,
        @NotBlank String prompt,
        String context,
        String feedback,
        @NotNull @Valid RepoRef repo,
        @NotBlank String branch,
        @NotBlank String integrationBranch,
        String model,
        @Positive Integer timeoutSeconds,
        @Valid VerifySpec verify,
        List<String> files,
        @Valid ReviewPolicy review,
        String reviewModel) implements FleetMessage {

    public TaskAssignment {
        files = files == null ? List.of() : List.copyOf(files);
        review = review == null ? ReviewPolicy.defaults() : review;
    }
}
