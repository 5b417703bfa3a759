package io.opencodefleet.common.messages;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Map;

/**
 * A user's mission: a goal on a git repository, optionally with an explicit plan. {@code missionId} is the
 * client's idempotency key: the same id twice is one mission.
 */
public record MissionSubmitted(
        @Pattern(regexp = Ids.MISSION_ID, message = Ids.ID_MESSAGE) String missionId,
        @Size(max = Sizes.TITLE) String title,
        @NotBlank @Size(max = Sizes.GOAL) String goal,
        @NotNull @Valid RepoRef repo,
        @Size(max = Sizes.PLAN_TASKS) List<@NotNull @Valid PlannedTask> plan,
        @Valid VerifySpec verify,
        @Size(max = Sizes.MODEL) @Pattern(regexp = MissionSubmitted.MODEL_PATTERN, message = MissionSubmitted.MODEL_MESSAGE) String model,
        @Size(max = 3) Map<@Pattern(regexp = "planner|coder|reviewer", message = "must be planner, coder or reviewer") String,
                @NotBlank @Size(max = Sizes.MODEL) @Pattern(regexp = MissionSubmitted.MODEL_PATTERN, message = MissionSubmitted.MODEL_MESSAGE) String> models,
        @Valid Limits limits,
        @Valid ReviewPolicy review,
        @Size(max = Sizes.LABELS) Map<@Size(max = Sizes.LABEL_KEY) @Pattern(regexp = "[A-Za-z0-9._/-]+", message = "must be letters, digits, '.', '_', '/' or '-'") String,
                @NotNull @Size(max = Sizes.LABEL_VALUE) String> labels) implements FleetMessage {

    /** Mission ids become part of git branch names and directory names. */
    public static final String ID_PATTERN = Ids.MISSION_ID;
    /** OpenCode's {@code provider/model}. */
    public static final String MODEL_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._:/@+-]*";
    public static final String MODEL_MESSAGE = "must be provider/model";

    public MissionSubmitted {
        verify = verify == null ? VerifySpec.none() : verify;
        limits = limits == null ? Limits.defaults() : limits;
        review = review == null ? ReviewPolicy.defaults() : review;
        models = Copies.map(models);
        labels = Copies.map(labels);
        if (title == null || title.isBlank()) {
            title = goal == null ? null : goal.lines().findFirst().map(l -> l.length() > 80 ? l.substring(0, 80) : l).orElse(goal);
        }
    }

    public MissionSubmitted withMissionId(String id) {
        return new MissionSubmitted(id, title, goal, repo, plan, verify, model, models, limits, review, labels);
    }

    /** The same mission without its plan (the planner keeps the plan as task rows). */
    public MissionSubmitted withoutPlan() {
        return new MissionSubmitted(missionId, title, goal, repo, null, verify, model, models, limits, review, labels);
    }

    /** The model for a role (planner, coder, reviewer): a per-role override, else the mission's model. */
    public String modelFor(String role) {
        return models.getOrDefault(role, model);
    }
}
