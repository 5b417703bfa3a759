package io.opencodefleet.devstack.fleet;

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
 * started, one per line, so {@code down} and {@code status} find them; logs, the broker's data ({@code kafka/}),
 * an embedded PostgreSQL's ({@code postgres/}) and the workers' live beside it, and stay across {@code down}/{@code up}.
 */
public final class StateDir {

    public static final String ENV = "FLEET_STATE_DIR";
    /** The repository root (where the services' jars are built), as bin/fleet and the build pass it. */
    public static final String PROJECT_ROOT_PROPERTY = "fleet.project.root";

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
        String root = System.getProperty(PROJECT_ROOT_PROPERTY);
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
            throw new LocalFleetException("cannot read " + pidsFile() + ": " + e.getMessage());
        }
    }

    /** Appends at once, so a fleet that fails half-way up can still be taken down. */
    public synchronized void record(FleetProcess process) {
        try {
            Files.createDirectories(root);
            Files.writeString(pidsFile(), process.line() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records a process in place of the one of the same name (a restart), else appends it. */
    public synchronized void replace(FleetProcess process) {
        List<String> lines = new ArrayList<>();
        boolean replaced = false;
        for (FleetProcess recorded : processes()) {
            if (recorded.name().equals(process.name())) {
                if (!replaced) {
                    lines.add(process.line());
                    replaced = true;
                }
            } else {
                lines.add(recorded.line());
            }
        }
        if (!replaced) {
            lines.add(process.line());
        }
        try {
            Files.createDirectories(root);
            Path next = root.resolve("pids.next");
            Files.write(next, lines);
            Files.move(next, pidsFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
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

    /** Kafka credentials of a fleet with authentication: the admin's password and each user's client settings. */
    public Path kafkaAuthDir() {
        return root.resolve("kafka-auth");
    }

    /** The password of the broker's super user {@code admin}, set when its storage is first formatted. */
    public Path kafkaAdminPasswordFile() {
        return kafkaAuthDir().resolve("admin-password");
    }

    /**
     * Client settings of a Kafka user of the fleet ({@code bootstrap.servers}, {@code security.protocol},
     * {@code sasl.mechanism}, {@code sasl.jaas.config}), a properties file readable by its owner only:
     * {@code bin/fleet submit --kafka --kafka-config <this file>} and any Kafka client can use it.
     */
    public Path kafkaClientConfig(String user) {
        return kafkaAuthDir().resolve(user + ".properties");
    }

    /** The bearer token {@code bin/fleet} sends to the local fleet's planner (see {@link ApiCredentials}). */
    public Path apiTokenFile() {
        return root.resolve("api/token");
    }

    public Optional<String> apiToken() {
        try {
            return Files.exists(apiTokenFile()) ? Optional.of(Files.readString(apiTokenFile()).strip()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

}
