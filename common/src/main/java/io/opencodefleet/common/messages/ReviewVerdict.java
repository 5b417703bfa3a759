package io.opencodefleet.common.messages;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * The reviewer's answer to one {@link ReviewRequest}; {@code feedback} goes into the next attempt's prompt.
 * {@code warnings} (approved work that looks off, such as files changed outside the task's declared files)
 * pause a mission whose policy is {@code on-warning}. {@code reviewUsage} is what a review by agent spent.
 * ERROR means the review could not run (the fleet's trouble, not the agent's).
 */
public record ReviewVerdict(
        @NotBlank @Pattern(regexp = Ids.MISSION_ID, message = Ids.ID_MESSAGE) String missionId,
        @NotBlank @Pattern(regexp = Ids.TASK_ID, message = Ids.ID_MESSAGE) String taskId,
        @Positive int attempt,
        @NotNull Verdict verdict,
        @Size(max = Sizes.FEEDBACK + Sizes.CHECK_OUTPUT) String feedback,
        @Pattern(regexp = "[0-9a-f]{40}|[0-9a-f]{64}", message = "must be a full commit id") String mergedCommit,
        @Size(max = Sizes.CHECKS) List<@NotNull @Valid CheckRun> checks,
        @Size(max = 20) List<@NotNull @Size(max = Sizes.FEEDBACK) String> warnings,
        @Valid Usage reviewUsage) implements FleetMessage {

    public ReviewVerdict {
        checks = Copies.list(checks);
        warnings = Copies.list(warnings);
    }
}
