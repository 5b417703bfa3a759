package io.opencodefleet.cli.stack;

import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.common.opencode.OpencodeBinary;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.opencodefleet.testkit.model.ScriptedModel;
import io.opencodefleet.testkit.opencode.OpencodeTestConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A whole fleet on this machine as background processes: Kafka broker, PostgreSQL (the local server, else an
 * embedded one), optionally the scripted model, planner, reviewer and workers, each recorded in
 * {@code .fleet/pids} the moment it starts.
 */
public final class LocalFleet {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final StateDir state;
    private final PrintWriter out;

    public LocalFleet(StateDir state, PrintWriter out) {
        this.state = state;
        this.out = out;
    }

    /** What {@code up} started, by name, in start order. */
    public record Endpoints(Map<String, String> byName) {
    }

    /** Starts everything and returns once every service reports ready; on failure stops what it started. */
    public Endpoints up(FleetSettings settings) {
        List<FleetProcess> running = state.processes().stream().filter(FleetProcess::alive).toList();
        if (!running.isEmpty()) {
            throw new CommandFailure(ExitCode.LOCAL_FLEET, "a local fleet is already running from " + state.root() + " ("
                    + String.join(", ", running.stream().map(FleetProcess::name).toList())
                    + "): see `bin/fleet status`, or stop it with `bin/fleet down`.");
        }
        state.forgetProcesses();
        try {
            return start(settings);
        } catch (RuntimeException e) {
            out.println("Start failed; stopping what was started.");
            try {
                down();
            } catch (RuntimeException stopFailure) {
                e.addSuppressed(stopFailure);
            }
            throw e;
        }
    }

    private Endpoints start(FleetSettings settings) {
        Map<String, String> endpoints = new LinkedHashMap<>();
        requireFreePorts(settings);
        Path opencode = step("OpenCode", OpencodeBinary::locateOrInstall);
        Map<String, Path> jars = new LinkedHashMap<>();
        for (String module : List.of("planner-service", "reviewer-service", "worker-service")) {
            jars.put(module, serviceJar(module));
        }

        // The broker starts empty each time (the embedded broker formats a new cluster id): missions live in
        // PostgreSQL, and nothing in flight survives `down` anyway.
        deleteRecursively(state.resolve("kafka"));
        String bootstrap = "127.0.0.1:" + settings.kafkaPort();
        Path brokerLog = state.log(FleetProcess.BROKER);
        ProcessHandle broker = JavaProcess.mainClass(KafkaBroker.class, String.valueOf(settings.kafkaPort()),
                state.resolve("kafka").toString()).start(brokerLog);
        state.record(FleetProcess.of(FleetProcess.BROKER, broker, settings.kafkaPort()));
        endpoints.put("broker", bootstrap);

        String jdbcUrl = startPostgres(settings, endpoints);
        Readiness.awaitLogLine("Kafka broker", broker, brokerLog, "kafka.bootstrap.servers=", START_TIMEOUT);

        // The model for every OpenCode of the fleet: the workers' and the reviewer's (LLM review).
        Map<String, String> modelEnv = new LinkedHashMap<>();
        if (settings.model().isScripted()) {
            int modelPort = KafkaBroker.freePort();
            Path modelLog = state.log(FleetProcess.MODEL);
            ProcessHandle model = JavaProcess.mainClass(ScriptedModel.class, String.valueOf(modelPort),
                    settings.model().scriptedModelScript().toString()).start(modelLog);
            state.record(FleetProcess.of(FleetProcess.MODEL, model, modelPort));
            Readiness.awaitLogLine("scripted model", model, modelLog, "listening on", START_TIMEOUT);
            String baseUrl = "http://127.0.0.1:" + modelPort + "/v1";
            Path config = write(state.resolve("scripted-model/opencode.json"), OpencodeTestConfig.jsonForScriptedModel(baseUrl));
            modelEnv.put("OPENCODE_CONFIG", config.toString());
            modelEnv.put("FLEET_MODEL", OpencodeTestConfig.MODEL);
            endpoints.put("model", settings.model().description() + " at " + baseUrl);
        } else {
            endpoints.put("model", settings.model().description());
        }
        // One password for every worker's OpenCode server, so `attach` can print a command that logs in.
        String opencodePassword = opencodePassword();

        List<Service> services = new ArrayList<>();
        services.add(startService(FleetProcess.PLANNER, settings.plannerPort(), JavaProcess.jar(jars.get("planner-service"))
                .property("kafka.bootstrap.servers", bootstrap)
                .property("quarkus.datasource.jdbc.url", jdbcUrl)
                .property("quarkus.datasource.username", LocalPostgres.USER)
                .property("quarkus.datasource.password", "")));
        JavaProcess reviewer = JavaProcess.jar(jars.get("reviewer-service"))
                .property("kafka.bootstrap.servers", bootstrap)
                .property("fleet.reviewer.work-dir", state.resolve("reviewer"))
                .property("fleet.opencode.home", state.resolve("opencode/reviewer"))
                .property("fleet.opencode.bin", opencode);
        modelEnv.forEach(reviewer::env);
        services.add(startService(FleetProcess.REVIEWER, settings.reviewerPort(), reviewer));
        for (int i = 1; i <= settings.workers(); i++) {
            String name = FleetProcess.WORKER_PREFIX + i;
            JavaProcess worker = JavaProcess.jar(jars.get("worker-service"))
                    .property("kafka.bootstrap.servers", bootstrap)
                    .property("fleet.worker.id", name)
                    .property("fleet.worker.slots", settings.slotsPerWorker())
                    .property("fleet.worker.work-dir", state.resolve("workers/" + name))
                    .property("fleet.opencode.home", state.resolve("opencode/" + name))
                    .property("fleet.opencode.bin", opencode)
                    .env("FLEET_OPENCODE_SERVER_PASSWORD", opencodePassword);
            modelEnv.forEach(worker::env);
            services.add(startService(name, settings.firstWorkerPort() + i - 1, worker));
        }
        for (Service service : services) {
            long started = System.nanoTime();
            Readiness.awaitHealthy(service.name, service.process, service.url, state.log(service.name), START_TIMEOUT);
            endpoints.put(service.name, service.url.toString());
            out.printf("  %-10s ready (%s)%n", service.name, seconds(started));
            out.flush();
        }
        return new Endpoints(endpoints);
    }

    private record Service(String name, ProcessHandle process, URI url) {
    }

    private Service startService(String name, int port, JavaProcess process) {
        ProcessHandle handle = process.property("quarkus.http.port", port).property("quarkus.http.host", "127.0.0.1")
                .start(state.log(name));
        state.record(FleetProcess.of(name, handle, port));
        return new Service(name, handle, URI.create("http://127.0.0.1:" + port));
    }

    private String startPostgres(FleetSettings settings, Map<String, String> endpoints) {
        int port = settings.postgresPort();
        if (LocalPostgres.answers(port)) {
            endpoints.put("postgres", LocalPostgres.databaseUrl(port, settings.database()) + " (the PostgreSQL server already running here)");
        } else {
            Path log = state.log(FleetProcess.POSTGRES);
            ProcessHandle postgres = JavaProcess.mainClass(EmbeddedPostgresServer.class, String.valueOf(port),
                    state.resolve("postgres").toString()).start(log);
            state.record(FleetProcess.of(FleetProcess.POSTGRES, postgres, port));
            Readiness.awaitLogLine("embedded PostgreSQL", postgres, log, EmbeddedPostgresServer.READY, START_TIMEOUT);
            endpoints.put("postgres", LocalPostgres.databaseUrl(port, settings.database()) + " (embedded, data in "
                    + state.resolve("postgres") + ")");
        }
        LocalPostgres.ensureDatabase(port, settings.database());
        return LocalPostgres.databaseUrl(port, settings.database());
    }

    /**
     * Stops every recorded process and the processes they started (the workers' OpenCode servers): services
     * first, so they leave the broker and database cleanly, then the infrastructure; SIGKILL for whatever
     * outlives {@link #STOP_TIMEOUT}. Returns the names of the processes it stopped.
     */
    public List<String> down() {
        List<FleetProcess> recorded = state.processes();
        List<String> stopped = new ArrayList<>();
        stop(recorded.stream().filter(p -> p.isService() || p.name().equals(FleetProcess.MODEL)).toList(), stopped);
        stop(recorded.stream().filter(p -> !p.isService() && !p.name().equals(FleetProcess.MODEL)).toList(), stopped);
        List<String> stillListening = recorded.stream().filter(p -> Readiness.listening(p.port()))
                .map(p -> p.name() + " port " + p.port()).toList();
        if (!stillListening.isEmpty()) {
            throw new CommandFailure(ExitCode.LOCAL_FLEET, "stopped the fleet's processes, but something still listens on "
                    + String.join(", ", stillListening));
        }
        state.forgetProcesses();
        return stopped;
    }

    private void stop(List<FleetProcess> processes, List<String> stopped) {
        List<ProcessHandle> parents = new ArrayList<>();
        List<ProcessHandle> children = new ArrayList<>();
        for (FleetProcess process : processes) {
            process.handle().ifPresent(handle -> {
                // Collected now: once a worker is gone, its OpenCode server is an orphan nobody knows about.
                handle.descendants().forEach(children::add);
                parents.add(handle);
                stopped.add(process.name());
            });
        }
        // Parents only: a worker stops its own OpenCode server, and would restart one killed under it.
        parents.forEach(ProcessHandle::destroy);
        awaitExit(parents, STOP_TIMEOUT);
        Stream.concat(parents.stream(), children.stream()).filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        awaitExit(Stream.concat(parents.stream(), children.stream()).toList(), Duration.ofSeconds(10));
    }

    private static void awaitExit(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            sleep(100);
        }
    }

    private void requireFreePorts(FleetSettings settings) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put("Kafka broker (--kafka-port)", settings.kafkaPort());
        ports.put("planner (--planner-port)", settings.plannerPort());
        ports.put("reviewer (--reviewer-port)", settings.reviewerPort());
        for (int i = 0; i < settings.workers(); i++) {
            ports.put("worker-" + (i + 1) + " (--worker-port)", settings.firstWorkerPort() + i);
        }
        ports.forEach((what, port) -> {
            if (!portFree(port)) {
                throw new CommandFailure(ExitCode.LOCAL_FLEET, "port " + port + " for the " + what + " is already in use; "
                        + "stop what uses it or pick another port with the flag.");
            }
        });
    }

    private Path serviceJar(String module) {
        Path jar = StateDir.projectRoot().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new CommandFailure(ExitCode.LOCAL_FLEET, "no packaged " + module + " at " + jar
                    + "; build it with `./mvnw -q -DskipTests install` (bin/fleet does this when the CLI jar is missing).");
        }
        return jar;
    }

    private String opencodePassword() {
        Path file = state.opencodePasswordFile();
        try {
            if (!Files.exists(file)) {
                byte[] bytes = new byte[18];
                new SecureRandom().nextBytes(bytes);
                Files.createDirectories(file.getParent());
                Files.writeString(file, HexFormat.of().formatHex(bytes));
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private <T> T step(String what, Supplier<T> action) {
        long started = System.nanoTime();
        T result = action.get();
        out.printf("  %-10s %s (%s)%n", what, result, seconds(started));
        out.flush();
        return result;
    }

    private static String seconds(long startedNanos) {
        return String.format("%.1f s", (System.nanoTime() - startedNanos) / 1e9);
    }

    private static Path write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean portFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
