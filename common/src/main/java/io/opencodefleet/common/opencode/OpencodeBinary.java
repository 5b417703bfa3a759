package io.opencodefleet.common.opencode;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the pinned OpenCode binary, in this order: system property or environment variable
 * {@code OPENCODE_BIN}; {@code <fleet.project.root>/node_modules/.bin/opencode} (surefire sets
 * {@code fleet.project.root} to the reactor root); the nearest directory above the working directory whose
 * {@code package.json} depends on {@code opencode-ai}, and its {@code node_modules/.bin/opencode};
 * {@code opencode} on the {@code PATH}.
 */
public final class OpencodeBinary {

    public static final String ENV = "OPENCODE_BIN";
    public static final String PROJECT_ROOT_PROPERTY = "fleet.project.root";

    private OpencodeBinary() {
    }

    /** The binary, or an exception that says where it looked and how to install it. */
    public static Path locate() {
        return find().orElseThrow(() -> new IllegalStateException(
                "no OpenCode binary: set OPENCODE_BIN, or run `npm install` at the project root (package.json pins "
                        + "opencode-ai) so node_modules/.bin/opencode exists, or put opencode on the PATH"));
    }

    /**
     * The binary; when none is found but a project directory above the working directory pins
     * {@code opencode-ai} in its package.json, installs it there first with {@code npm install} (the lock file pins the version).
     */
    public static synchronized Path locateOrInstall() {
        Optional<Path> found = find();
        if (found.isPresent()) {
            return found.get();
        }
        Optional<Path> project = projectRoot();
        if (project.isPresent()) {
            npmCi(project.get());
        }
        return locate();
    }

    private static Optional<Path> projectRoot() {
        String root = System.getProperty(PROJECT_ROOT_PROPERTY);
        if (root != null && dependsOnOpencode(Path.of(root, "package.json"))) {
            return Optional.of(Path.of(root));
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (dependsOnOpencode(dir.resolve("package.json"))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }

    private static void npmCi(Path dir) {
        ProcessBuilder npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        try {
            int exit = npm.start().waitFor();
            if (exit != 0) {
                throw new IllegalStateException("npm install in " + dir + " exited " + exit);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run npm to install OpenCode in " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while installing OpenCode", e);
        }
    }

    public static Optional<Path> find() {
        String explicit = System.getProperty(ENV, System.getenv(ENV));
        if (explicit != null && !explicit.isBlank()) {
            Path path = Path.of(explicit);
            return Files.isExecutable(path) ? Optional.of(path.toAbsolutePath()) : Optional.empty();
        }
        String root = System.getProperty(PROJECT_ROOT_PROPERTY);
        if (root != null && !root.isBlank()) {
            Optional<Path> inRoot = inNodeModules(Path.of(root));
            if (inRoot.isPresent()) {
                return inRoot;
            }
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (dependsOnOpencode(dir.resolve("package.json"))) {
                Optional<Path> found = inNodeModules(dir);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        String pathVariable = System.getenv("PATH");
        if (pathVariable != null) {
            for (String entry : pathVariable.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    Path candidate = Path.of(entry, "opencode");
                    if (Files.isExecutable(candidate)) {
                        return Optional.of(candidate);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> inNodeModules(Path dir) {
        Path candidate = dir.resolve("node_modules/.bin/opencode");
        return Files.isExecutable(candidate) ? Optional.of(candidate.toAbsolutePath()) : Optional.empty();
    }

    private static boolean dependsOnOpencode(Path packageJson) {
        try {
            return Files.isRegularFile(packageJson) && Files.readString(packageJson).contains("\"opencode-ai\"");
        } catch (IOException e) {
            return false;
        }
    }
}
