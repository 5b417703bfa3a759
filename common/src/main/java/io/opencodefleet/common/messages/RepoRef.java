package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/** A git repository (never with credentials in its URL) and the branch the mission starts from. */
public record RepoRef(
        @NotBlank @Size(max = 2048) @RepoUrl String url,
        @Size(max = GitRefs.MAX_LENGTH) @GitBranch String baseRef) {

    public RepoRef {
        if (baseRef == null || baseRef.isBlank()) {
            baseRef = "main";
        }
    }
}
