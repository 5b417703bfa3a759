package io.opencodefleet.common.messages;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * Checks the reviewer runs as {@code sh -c} at the root of the merged tree: {@code commands} on every merge
 * and on the final integration branch, {@code acceptance} only on the final branch.
 */
public record VerifySpec(
        @Size(max = Sizes.COMMANDS) List<@NotBlank @Size(max = Sizes.COMMAND) String> commands,
        @Positive @Max(86_400) Integer timeoutSeconds,
        @Size(max = Sizes.COMMANDS) List<@NotBlank @Size(max = Sizes.COMMAND) String> acceptance) {

    public static final int DEFAULT_TIMEOUT_SECONDS = 600;

    public VerifySpec {
        commands = Copies.list(commands);
        acceptance = Copies.list(acceptance);
        if (timeoutSeconds == null) {
            timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
        }
    }

    public static VerifySpec none() {
        return new VerifySpec(List.of(), null, List.of());
    }
}
