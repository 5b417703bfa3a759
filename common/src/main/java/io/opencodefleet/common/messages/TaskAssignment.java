package io.opencodefleet.common.messages;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * A task for a worker. {@code attempt} is the fencing epoch: the planner ignores results of any other attempt.
 * The worker starts from {@code integrationBranch} (or {@code repo.baseRef} before it exists) and pushes
 * {@code branch}.
 */
public record TaskAssignment(
        @NotBlank @Pattern(regexp = Ids.MISSION_ID, message = Ids.ID_MESSAGE) String missionId,
        @NotBlank @Pattern(regexp = Ids.TASK_ID, message = Ids.ID_MESSAGE) String taskId,
        @Positive int attempt,
        @NotNull TaskKind kind,
        @Size(max = Sizes.TITLE) String title,
        @NotBlank @Size(max = Sizes.PROMPT) String prompt,
        @Size(max = Sizes.CONTEXT) String context,
        @Size(max = Sizes.FEEDBACK) String feedback,
        @NotNull @Valid RepoRef repo,
        @NotBlank @GitBranch String branch,
        @NotBlank @GitBranch String integrationBranch,
        @Size(max = Sizes.MODEL) String model,
        @Positive @jakarta.validation.constraints.Max(604_800) Integer timeoutSeconds,
        @Size(max = Sizes.FILES) List<@NotBlank @Size(max = Sizes.PATH) String> files) implements FleetMessage {

    public TaskAssignment {
        files = Copies.list(files);
    }
}
