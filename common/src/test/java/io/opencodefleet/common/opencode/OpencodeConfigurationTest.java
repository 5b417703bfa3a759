package io.opencodefleet.common.opencode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** What a server of our own runs with comes from its settings and the environment they carry, nothing else. */
class OpencodeConfigurationTest {

    @Test
    void theFleetsSettingsAndAgentsAreLayeredOverEveryOtherConfiguration() throws Exception {
        JsonNode merged = OpencodeClient.JSON.readTree(OpencodeConfiguration.configContent(
                "{\"autoupdate\": true, \"theme\": \"user\", \"permission\": {\"bash\": \"ask\", \"mine\": \"allow\"}}",
                "{\"provider\": {\"scripted\": {\"name\": \"s\"}}, \"theme\": \"settings\"}"));

        assertThat(merged.path("theme").asText()).isEqualTo("settings");
        assertThat(merged.path("provider").path("scripted").path("name").asText()).isEqualTo("s");
        assertThat(merged.path("autoupdate").asBoolean()).as("the fleet's settings win").isFalse();
        assertThat(merged.path("permission").path("bash").asText()).isEqualTo("allow");
        assertThat(merged.path("permission").path("question").asText()).isEqualTo("deny");
        assertThat(merged.path("permission").path("mine").asText()).as("objects merge").isEqualTo("allow");
        for (String agent : OpencodeConfiguration.AGENTS) {
            assertThat(merged.path("agent").path(agent).path("tools").path("edit").asBoolean(true)).as(agent).isFalse();
            assertThat(merged.path("agent").path(agent).path("permission").path("bash").asText()).as(agent).isEqualTo("deny");
        }
    }

    @Test
    void theUsersConfigCredentialsAndModelsAreFoundInTheEnvironmentGiven(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        Path config = write(home.resolve(".config/opencode/opencode.json"), "{}");
        write(home.resolve(".local/share/opencode/auth.json"), "{\"p\": {}}");
        Path models = write(home.resolve(".cache/opencode/models.json"), "{}");
        Path root = dir.resolve("server");

        Map<String, String> env = OpencodeConfiguration.environment(settings(root, Map.of("HOME", home.toString(),
                "OPENCODE_CONFIG_CONTENT", "{\"theme\": \"inline\"}")), "secret");

        assertThat(env).containsEntry("OPENCODE_CONFIG", config.toString()).containsEntry("OPENCODE_MODELS_PATH", models.toString())
                .containsEntry("OPENCODE_SERVER_PASSWORD", "secret").containsEntry("XDG_DATA_HOME", root.resolve("data").toString())
                .containsEntry("XDG_CONFIG_HOME", root.resolve("config").toString()).containsEntry("OPENCODE_DISABLE_AUTOUPDATE", "true");
        assertThat(root.resolve("data/opencode/auth.json")).hasContent("{\"p\": {}}");
        assertThat(OpencodeClient.JSON.readTree(env.get("OPENCODE_CONFIG_CONTENT")).path("theme").asText()).isEqualTo("inline");

        Map<String, String> explicit = OpencodeConfiguration.environment(settings(dir.resolve("other"), Map.of("HOME",
                home.toString(), "OPENCODE_CONFIG", "/etc/fleet/opencode.json", "OPENCODE_MODELS_PATH", "/etc/models.json")), "p");
        assertThat(explicit).containsEntry("OPENCODE_CONFIG", "/etc/fleet/opencode.json").containsEntry("OPENCODE_MODELS_PATH", "/etc/models.json");

        Map<String, String> none = OpencodeConfiguration.environment(settings(dir.resolve("bare"), Map.of()), "p");
        assertThat(none).doesNotContainKeys("OPENCODE_CONFIG", "OPENCODE_MODELS_PATH");
        assertThat(dir.resolve("bare/data/opencode/auth.json")).doesNotExist();
    }

    private static OpencodeServerSettings settings(Path root, Map<String, String> environment) {
        return new OpencodeServerSettings(Path.of("opencode"), root, null, environment, 0, null, null, null, null);
    }

    private static Path write(Path file, String content) throws Exception {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content);
    }
}
