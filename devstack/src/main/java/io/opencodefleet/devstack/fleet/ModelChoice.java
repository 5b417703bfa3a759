package io.opencodefleet.devstack.fleet;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which model the workers and the reviewer use: the user's (the mission's model, else {@code FLEET_MODEL}, with the
 * user's OpenCode configuration for providers and credentials), or the scripted stand-in
 * ({@link io.opencodefleet.devstack.model.ScriptedModel}): run by the fleet from a script, or one already running.
 *
 * @param scriptedModelScript the scripted model's script (JSON) for a model the fleet runs, else null
 * @param scriptedModelUrl the OpenAI base URL of a scripted model that already runs (e.g. in a test's JVM), else null
 * @param description what a person reads in {@code up}'s output
 */
public record ModelChoice(Path scriptedModelScript, String scriptedModelUrl, String description) {

    public ModelChoice(Path scriptedModelScript, String description) {
        this(scriptedModelScript, null, description);
    }

    /** No model configured: each mission names its own. */
    public static ModelChoice none() {
        return new ModelChoice(null, null, "none configured: each mission's `model`");
    }

    /** The user's model, as described. */
    public static ModelChoice users(String description) {
        return new ModelChoice(null, null, description);
    }

    /** A scripted model already running at {@code baseUrl} ({@code http://127.0.0.1:PORT/v1}). */
    public static ModelChoice scriptedAt(String baseUrl) {
        return new ModelChoice(null, baseUrl, "the SCRIPTED MODEL at " + baseUrl + " (no real LLM)");
    }

    private static final JsonMapper JSONC = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA).build();

    public static ModelChoice scripted(Path script) {
        return new ModelChoice(script.toAbsolutePath(), "the SCRIPTED MODEL (a stand-in that replays " + script.getFileName()
                + "; no real LLM)");
    }

    public boolean isScripted() {
        return scriptedModelScript != null || scriptedModelUrl != null;
    }

    /** The user's model, when one is configured: {@code FLEET_MODEL}, or an OpenCode config naming a model or provider. */
    public static Optional<ModelChoice> configured() {
        String fleetModel = System.getenv("FLEET_MODEL");
        Optional<Path> config = userOpencodeConfig();
        String configText = config.map(path -> " with OpenCode config " + path).orElse("");
        if (fleetModel != null && !fleetModel.isBlank()) {
            return Optional.of(new ModelChoice(null, "FLEET_MODEL=" + fleetModel + configText));
        }
        if (config.isPresent()) {
            try {
                JsonNode node = JSONC.readTree(Files.readString(config.get()));
                if (node.hasNonNull("model")) {
                    return Optional.of(new ModelChoice(null, node.get("model").asText() + " from " + config.get()));
                }
                if (node.path("provider").size() > 0) {
                    return Optional.of(new ModelChoice(null, "OpenCode's default model for the providers in " + config.get()));
                }
            } catch (IOException e) {
                // unreadable: as if there were none; OpenCode itself will say what is wrong
            }
        }
        return Optional.empty();
    }

    /** {@code OPENCODE_CONFIG}, else {@code ~/.config/opencode/opencode.json[c]}, when it exists. */
    public static Optional<Path> userOpencodeConfig() {
        String explicit = System.getenv("OPENCODE_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Optional.of(Path.of(explicit)).filter(Files::isRegularFile);
        }
        Path dir = Path.of(System.getProperty("user.home"), ".config", "opencode");
        for (String name : new String[] {"opencode.json", "opencode.jsonc"}) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return Optional.of(dir.resolve(name));
            }
        }
        return Optional.empty();
    }
}
