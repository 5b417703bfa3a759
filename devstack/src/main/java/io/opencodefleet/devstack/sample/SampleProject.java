package io.opencodefleet.devstack.sample;

import io.opencodefleet.devstack.git.LocalRepository;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The demo's sample: a tiny shell project in a bare git repository (the "remote" the workers clone and push
 * to), the mission that gives it a greeting script, a test and docs, and the scripted model's script for it.
 */
public final class SampleProject {

    private SampleProject() {
    }

    /** Creates {@code dir/origin.git} with the sample project on main. */
    public static LocalRepository create(Path dir) {
        return LocalRepository.create(dir, Map.of(
                "README.md", resource("project/README.md"),
                "check.sh", resource("project/check.sh")));
    }

    public static String mission(String missionId, String repoUrl) {
        return resource("mission.json").replace("${MISSION_ID}", missionId).replace("${REPO_URL}", repoUrl);
    }

    /** Writes the scripted model's script for the demo mission to {@code file} (the model runs as a process). */
    public static Path writeScriptedModelScript(Path file) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, resource("scripted-model.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = SampleProject.class.getResourceAsStream("/demo/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource /demo/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
