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
        @Pattern(regexp = MissionSubmitted.ID_PATTERN, message = "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit") String missionId,
        @Size(max = 500) String title,
        @NotBlank @Size(max = 100_000) String goal,
        @NotNull @Valid RepoRef repo,
        List<@NotNull @Valid PlannedTask> plan,
        @Valid VerifySpec verify,
        @Size(max = 200) String model,
        Map<String, String> models,
        @Valid Limits limits,
        @Valid ReviewPolicy review,
        Map<String, String> labels) implements FleetMessage {

    /** Mission ids become part of git branch names. */
    public static final String ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

    public MissionSubmitted {
        verify = verify == null ? VerifySpec.none() : verify;
        limits = limits == null ? Limits.defaults() : limits;
        review = review == null ? ReviewPolicy.defaults() : review;
        models = models == null ? Map.of() : Map.copyOf(models);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        if (title == null || title.isBlank()) {
            title = goal == null ? null : goal.lines().findFirst().map(l -> l.length() > 80 ? l.substring(0, 80) : l).orElse(goal);
        }
    }

    public MissionSubmitted withMissionId(String id) {
        return new MissionSubmitted(id, title, goal, repo, plan, verify, model, models, limits, review, labels);
    }

    /** The model for a role (planner, coder, reviewer): a per-role override, else the mission's model. */
    public String modelFor(String role) {
        return models.getOrDefault(role, model);
    }
}
