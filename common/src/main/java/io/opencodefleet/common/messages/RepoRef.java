package io.opencodefleet.common.messages;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/** A git repository and the ref the mission starts from. */
public record RepoRef(
        @NotBlank @Size(max = 2048) String url,
        @Size(max = 255) String baseRef) {

    public RepoRef {
        if (baseRef == null || baseRef.isBlank()) {
            baseRef = "main";
        }
    }
}
