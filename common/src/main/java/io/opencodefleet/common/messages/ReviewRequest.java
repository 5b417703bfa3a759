package io.opencodefleet.common.messages;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * The planner's order to the reviewer, on {@code fleet.reviews} keyed by mission (one partition is one mission's
 * merge queue). The planner sends one only for the current attempt of a task of a running mission, with its own
 * copy of what to review: the reviewer trusts review requests, never worker results.
 * <ul>
 * <li>MERGE: merge {@code commit} of {@code branch} into {@code integrationBranch}, run {@code verify.commands},
 * optionally an LLM review, and push;</li>
 * <li>PLAN: validate {@code plan} (a planning agent's DAG);</li>
 * <li>SEAL: run {@code verify.commands} and {@code verify.acceptance} on the integration branch as it stands.</li>
 * </ul>
 * {@code attempt} is the task's fencing epoch (for SEAL, the seal request's own epoch); a verdict names it back.
 */
public record ReviewRequest(
        @NotBlank @Pattern(regexp = Ids.MISSION_ID, message = Ids.ID_MESSAGE) String missionId,
        @NotBlank @Pattern(regexp = Ids.TASK_ID, message = Ids.ID_MESSAGE) String taskId,
        @Positive int attempt,
        @NotNull Kind kind,
        @NotNull @Valid RepoRef repo,
        @NotBlank @GitBranch String integrationBranch,
        @GitBranch String branch,
        @Pattern(regexp = "[0-9a-f]{40}|[0-9a-f]{64}", message = "must be a full commit id") String commit,
        @Valid VerifySpec verify,
        @Valid ReviewPolicy review,
        @Size(max = 200) String reviewModel,
        @Size(max = Sizes.TITLE) String title,
        @Size(max = PlannedTask.MAX_PROMPT_CHARS) String prompt,
        @Size(max = Sizes.FILES) List<@NotBlank @Size(max = 1024) String> files,
        @Size(max = 10_000) List<@NotNull @Valid PlannedTask> plan) implements FleetMessage {

    public enum Kind {
        MERGE, PLAN, SEAL
    }

    public ReviewRequest {
        verify = verify == null ? VerifySpec.none() : verify;
        review = review == null ? ReviewPolicy.defaults() : review;
        files = Copies.list(files);
    }
}
