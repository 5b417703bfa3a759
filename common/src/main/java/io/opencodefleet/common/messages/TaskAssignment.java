package io.opencodefleet.common.messages;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;

/**
 * A task for a worker. {@code attempt} is the fencing epoch: results of any other attempt are ignored.
 * {@code integrationBranch} and {@code verify} travel with the task so the stateless reviewer can merge
 * the result without asking the planner.
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
        @Valid VerifySpec verify) implements FleetMessage {
}
