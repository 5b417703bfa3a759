package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/** One node of a mission's plan: what to do and which tasks must be merged first. */
public record PlannedTask(
        @NotBlank @Pattern(regexp = PlannedTask.ID_PATTERN, message = Ids.ID_MESSAGE) String id,
        @Size(max = Sizes.TITLE) String title,
        @NotBlank @Size(max = PlannedTask.MAX_PROMPT_CHARS) String prompt,
        @Size(max = Sizes.DEPENDENCIES) List<@NotBlank String> dependsOn,
        @Size(max = Sizes.FILES) List<@NotBlank @Size(max = Sizes.PATH) String> files) {

    /** Task ids become part of git branch names, so they stay within what git accepts everywhere. */
    public static final String ID_PATTERN = Ids.ID;
    public static final int MAX_PROMPT_CHARS = Sizes.PROMPT;

    public PlannedTask {
        dependsOn = Copies.list(dependsOn);
        files = Copies.list(files);
        if (title == null || title.isBlank()) {
            title = id;
        }
    }
}
