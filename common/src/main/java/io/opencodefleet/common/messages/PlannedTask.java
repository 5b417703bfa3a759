package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/** One node of a mission's plan: what to do and which tasks must be merged first. */
public record PlannedTask(
        @NotBlank @Pattern(regexp = PlannedTask.ID_PATTERN, message = "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit") String id,
        @Size(max = 500) String title,
        @NotBlank @Size(max = PlannedTask.MAX_PROMPT_CHARS) String prompt,
        List<@NotBlank String> dependsOn,
        List<@NotBlank String> files) {

    /** Task ids become part of git branch names, so they stay within what git accepts everywhere. */
    public static final String ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";
    public static final int MAX_PROMPT_CHARS = 100_000;

    public PlannedTask {
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
        files = files == null ? List.of() : List.copyOf(files);
        if (title == null || title.isBlank()) {
            title = id;
        }
    }
}
