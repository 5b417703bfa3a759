package io.opencodefleet.cli.stack;

import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.common.opencode.OpencodeBinary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The local fleet's directory ({@code .fleet/} in the project): {@code pids} names every process {@code up}
 * started, one per line, so {@code down} and {@code status} find them; logs, broker, PostgreSQL and worker data
 * live beside it.
 */
public final class StateDir {

    public static final String ENV = "FLEET_STATE_DIR";

    private final Path root;

    private StateDir(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The given directory, else {@code $FLEET_STATE_DIR}, else {@code .fleet/} in the project root. */
    public static StateDir of(Path override) {
        if (override != null) {
            return new StateDir(override);
        }
        String fromEnv = System.getenv(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new StateDir(Path.of(fromEnv));
        }
        return new StateDir(projectRoot().resolve(".fleet"));
    }

    /** The repository root: bin/fleet passes it as {@code fleet.project.root}; else the working directory. */
    public static Path projectRoot() {
        String root = System.getProperty(OpencodeBinary.PROJECT_ROOT_PROPERTY);
        return Path.of(root != null && !root.isBlank() ? root : "").toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path pidsFile() {
        return root.resolve("pids");
    }

    public Path logs() {
        return root.resolve("logs");
    }

    public Path log(String name) {
        return logs().resolve(name + ".log");
    }

    public Path resolve(String relative) {
        return root.resolve(relative);
    }

    /** The password of every worker's OpenCode server, for {@code attach}. */
    public Path opencodePasswordFile() {
        return root.resolve("opencode-password");
    }

    public List<FleetProcess> processes() {
        if (!Files.exists(pidsFile())) {
            return List.of();
        }
        try {
            List<FleetProcess> processes = new ArrayList<>();
            for (String line : Files.readAllLines(pidsFile())) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    processes.add(FleetProcess.parse(line));
                }
            }
            return processes;
        } catch (IOException | RuntimeException e) {
            throw new CommandFailure(ExitCode.LOCAL_FLEET, "cannot read " + pidsFile() + ": " + e.getMessage());
        }
    }

    /** Appends at once, so a fleet that fails half-way up can still be taken down. */
    public void record(FleetProcess process) {
        try {
            Files.createDirectories(root);
            Files.writeString(pidsFile(), process.line() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void forgetProcesses() {
        try {
            Files.deleteIfExists(pidsFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Optional<FleetProcess> process(String name) {
        return processes().stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Optional<URI> plannerUrl() {
        return process(FleetProcess.PLANNER).map(FleetProcess::url);
    }

    public Optional<String> kafkaBootstrap() {
        return process(FleetProcess.BROKER).map(p -> "127.0.0.1:" + p.port());
    }

    public Optional<String> opencodePassword() {
        try {
            return Files.exists(opencodePasswordFile()) ? Optional.of(Files.readString(opencodePasswordFile()).strip()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
