package io.opencodefleet.devstack.fleet;

import io.opencodefleet.devstack.Ports;
import io.opencodefleet.devstack.git.GitCredentials;
import io.opencodefleet.devstack.git.GitHttpServer;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.net.Host;
import io.opencodefleet.devstack.kafka.KafkaAccess;
import io.opencodefleet.devstack.kafka.KafkaBroker;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.ScriptedModelConfig;
import io.opencodefleet.devstack.postgres.EmbeddedPostgresServer;
import io.opencodefleet.devstack.postgres.LocalPostgres;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;

/**
 * A whole fleet on this machine as background processes: a Kafka broker (its data kept in the state directory
 * across restarts), PostgreSQL (the local server, else an embedded one; a database per state directory),
 * optionally the scripted model, the planner, the reviewer and workers, each recorded in {@code <state>/pids} the
 * moment it starts. {@code bin/fleet up/down/demo} use it, and so do the end-to-end and chaos tests, which also
 * kill, stop and restart its processes by name ({@link #kill}, {@link #terminate}, {@link #start},
 * {@link #restart}, {@link #addWorker}, {@link #stopBroker}, {@link #stopPostgres}, ...).
 *
 * <p>Each service listens on two ports: its main one (the planner's REST API, {@link #url}) and a management port
 * chosen free at start ({@link #managementUrl}), where its {@code /q/health}, {@code /q/metrics} (and the planner's
 * {@code /q/openapi}, {@code /q/swagger-ui}) answer. With {@link FleetSettings#kafkaAuth()} the broker authenticates
 * every client (SASL/SCRAM) and each service connects as its own user with the ACLs of the Strimzi manifests
 * ({@link KafkaAccess}).
 *
 * <p>Multi-host ({@link FleetSettings#hosts()}): every process runs on a host of a test network (a network namespace,
 * started through {@code ip netns exec}) and listens on that host's address: the broker (listening and advertised
 * there), the embedded PostgreSQL, the scripted model, the git server, the planner and the reviewer on the
 * infrastructure host, each worker on a worker host. {@link #url} and {@link #managementUrl} name those addresses;
 * the JVM that runs the fleet reaches them over the test network. With {@link FleetSettings#gitServer()} the fleet
 * serves repositories over smart HTTP with Basic authentication ({@link #createRepository}, {@link #repositoryUrl}),
 * and its workers and reviewer read the credentials through a git credential helper ({@link #gitCredentials()}).
 *
 * <p>Names: {@value FleetProcess#BROKER}, {@value FleetProcess#POSTGRES} (only an embedded one),
 * {@value FleetProcess#MODEL} (only a scripted model the fleet runs), {@value FleetProcess#GIT} (only with a git
 * server), {@value FleetProcess#PLANNER}, {@value FleetProcess#REVIEWER}, {@code worker-1}, {@code worker-2}, ...
 */
public final class LocalFleet implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** The planner accepts local repositories (file://) besides the remote schemes. */
    public static final String ALLOWED_REPO_SCHEMES = "file,https,ssh,http";
    static final String MODEL_READY = "scripted model listening on";

    private final StateDir state;
    private final PrintWriter out;
    private final Map<String, Launch> launches = new LinkedHashMap<>();
    private final Map<String, ProcessHandle> handles = new ConcurrentHashMap<>();
    private volatile FleetSettings settings;
    private String bootstrap;
    private String database;
    private String jdbcUrl;
    private boolean embeddedPostgres;
    private Path opencodeBinary;
    private String modelBaseUrl;
    private final Map<String, String> modelEnv = new LinkedHashMap<>();
    private final Map<String, Map<String, Object>> kafkaClients = new ConcurrentHashMap<>();
    private final Map<String, String> gitEnv = new LinkedHashMap<>();
    private final Map<String, Host> workerHosts = new ConcurrentHashMap<>();
    private GitCredentials gitCredentials;
    private String gitBaseUrl;

    private static final String LOOPBACK = "127.0.0.1";
    private static final String GIT_USER = "fleet";

    private enum Kind { BROKER, POSTGRES, MODEL, GIT, SERVICE }

    /**
     * How to start one process, again and again with the same settings and ports (managementPort: 0 = none), and
     * the address it listens on (127.0.0.1, or its host's on a test network).
     */
    private record Launch(String name, Kind kind, int port, int managementPort, JavaProcess process, String readyLine, String address) {
        Launch(String name, Kind kind, int port, JavaProcess process, String readyLine, String address) {
            this(name, kind, port, 0, process, readyLine, address);
        }

        URI url() {
            return URI.create("http://" + address + ":" + port);
        }

        URI managementUrl() {
            return URI.create("http://" + address + ":" + managementPort);
        }
    }

    /**
     * What {@code up} started, by name, in start order: where each part is ({@code byName}: a service's main URL),
     * and each service's management URL ({@code /q/health}, {@code /q/metrics}, the planner's {@code /q/swagger-ui}).
     */
    public record Endpoints(Map<String, String> byName, Map<String, String> management) {
    }

    /** A fleet kept in {@code state}; {@code out} gets the progress a person reads (null: none). */
    public LocalFleet(StateDir state, PrintWriter out) {
        this.state = state;
        this.out = out != null ? out : new PrintWriter(OutputStream.nullOutputStream());
    }

    /** Starts a whole fleet ({@link #up}) and returns it, for tests: {@link #close()} takes it down. */
    public static LocalFleet start(StateDir state, FleetSettings settings, PrintWriter out) {
        LocalFleet fleet = new LocalFleet(state, out);
        fleet.up(settings);
        return fleet;
    }

    /**
     * Starts everything and returns once every service reports ready; on failure stops what it started. Refuses
     * while a process recorded in the state directory still runs; dead ones (a crash, a reboot) are forgotten.
     * The broker's data, an embedded PostgreSQL's and the database stay from the last run.
     */
    public synchronized Endpoints up(FleetSettings requested) {
        List<FleetProcess> running = state.processes().stream().filter(FleetProcess::alive).toList();
        if (!running.isEmpty()) {
            throw new LocalFleetException("a local fleet is already running from " + state.root() + " ("
                    + String.join(", ", running.stream().map(FleetProcess::name).toList())
                    + "): see `bin/fleet status`, or stop it with `bin/fleet down`.");
        }
        state.forgetProcesses();
        synchronized (launches) {
            launches.clear();
        }
        handles.clear();
        modelEnv.clear();
        kafkaClients.clear();
        gitEnv.clear();
        workerHosts.clear();
        gitCredentials = null;
        gitBaseUrl = null;
        try {
            return startAll(requested);
        } catch (RuntimeException e) {
            out.println("Start failed; stopping what was started.");
            out.flush();
            try {
                down();
            } catch (RuntimeException stopFailure) {
                e.addSuppressed(stopFailure);
            }
            throw e;
        }
    }

    private Endpoints startAll(FleetSettings requested) {
        settings = withResolvedPorts(requested);
        database = settings.database() != null ? settings.database() : LocalPostgres.databaseFor(state.root());
        try {
            LocalPostgres.requireValidName(database);
        } catch (IllegalArgumentException e) {
            throw LocalFleetException.invalid(e.getMessage());
        }
        Map<String, String> endpoints = new LinkedHashMap<>();
        Map<String, String> management = new LinkedHashMap<>();
        if (settings.hosts() == null) {
            requireFreePorts(); // on a test network every host has ports of its own
        }
        opencodeBinary = step("OpenCode", () -> settings.opencode().get());
        Map<String, Path> jars = new LinkedHashMap<>();
        for (String module : List.of("planner-service", "reviewer-service", "worker-service")) {
            jars.put(module, serviceJar(module));
        }

        // The broker keeps its data in the state directory: topics, records and committed offsets outlive
        // `down`, a crash and a reboot, so missions in flight go on after the next `up`.
        Launch broker = null;
        long brokerLogOffset = 0;
        if (settings.externalKafka() != null) {
            bootstrap = settings.externalKafka();
            endpoints.put(FleetProcess.BROKER, bootstrap + " (already running)");
        } else {
            String host = infrastructureAddress();
            JavaProcess process = JavaProcess.mainClass(settings.jvmOptions(), KafkaBroker.class, KafkaBroker.HOST_OPTION + host,
                    state.resolve("kafka").toString(), String.valueOf(settings.kafkaPort()));
            onInfrastructure(process);
            String adminPassword = kafkaAdminPassword();
            if (adminPassword != null) {
                process.env("FLEET_KAFKA_ADMIN_PASSWORD", adminPassword); // not on the command line, where `ps` shows it
            }
            broker = define(new Launch(FleetProcess.BROKER, Kind.BROKER, settings.kafkaPort(), process, KafkaBroker.READY, host));
            brokerLogOffset = startProcess(broker, false);
            bootstrap = host + ":" + settings.kafkaPort();
            endpoints.put(FleetProcess.BROKER, bootstrap + (settings.kafkaAuth()
                    ? " (SASL/SCRAM: a user per service, client settings in " + state.kafkaAuthDir() + "; data in "
                    : " (data in ") + state.resolve("kafka") + ")");
        }

        endpoints.put(FleetProcess.POSTGRES, startPostgresAndDatabase());
        if (broker != null) {
            awaitReady(broker, brokerLogOffset);
        }
        if (settings.kafkaAuth()) {
            step("Kafka users", this::setUpKafkaUsers);
        }

        endpoints.put(FleetProcess.MODEL, startModel());
        if (settings.gitServer()) {
            endpoints.put(FleetProcess.GIT, startGitServer());
        }

        List<Launch> services = new ArrayList<>();
        int plannerManagement = Ports.freePort();
        services.add(define(new Launch(FleetProcess.PLANNER, Kind.SERVICE, settings.plannerPort(), plannerManagement,
                plannerProcess(jars.get("planner-service"), plannerManagement), null, infrastructureAddress())));
        if (settings.reviewer()) {
            int reviewerManagement = Ports.freePort();
            services.add(define(new Launch(FleetProcess.REVIEWER, Kind.SERVICE, settings.reviewerPort(), reviewerManagement,
                    reviewerProcess(jars.get("reviewer-service"), reviewerManagement), null, infrastructureAddress())));
        }
        for (int i = 1; i <= settings.workers(); i++) {
            services.add(defineWorker(i, jars.get("worker-service"), settings.hosts() == null ? null : settings.hosts().workerHost(i)));
        }
        for (Launch service : services) {
            startProcess(service, false);
        }
        for (Launch service : services) {
            long started = System.nanoTime();
            awaitReady(service, 0);
            endpoints.put(service.name(), service.url().toString());
            management.put(service.name(), service.managementUrl().toString());
            out.printf("  %-10s ready (%s)%n", service.name(), seconds(started));
            out.flush();
        }
        return new Endpoints(endpoints, management);
    }

    private FleetSettings withResolvedPorts(FleetSettings requested) {
        FleetSettings.Builder resolved = requested.toBuilder();
        if (requested.externalKafka() == null) {
            resolved.kafkaPort(orFree(requested.kafkaPort()));
        }
        resolved.plannerPort(orFree(requested.plannerPort()));
        resolved.reviewerPort(orFree(requested.reviewerPort()));
        if (requested.postgres() == FleetSettings.Postgres.EMBEDDED) {
            resolved.embeddedPostgres(orFree(requested.postgresPort()));
        }
        return resolved.build();
    }

    private static int orFree(int port) {
        return port > 0 ? port : Ports.freePort();
    }

    private String startPostgresAndDatabase() {
        int port = settings.postgresPort();
        String host = infrastructureAddress();
        String where;
        if (settings.postgres() == FleetSettings.Postgres.AUTO && LocalPostgres.answers(port)) {
            embeddedPostgres = false;
            where = "the PostgreSQL server already running here";
        } else {
            embeddedPostgres = true;
            List<String> args = new ArrayList<>();
            if (settings.hosts() != null) {
                args.add(EmbeddedPostgresServer.LISTEN_OPTION + host);
                args.add(EmbeddedPostgresServer.TRUST_OPTION + settings.hosts().trustedNetwork());
            }
            args.add(String.valueOf(port));
            args.add(state.resolve("postgres").toString());
            Launch postgres = define(new Launch(FleetProcess.POSTGRES, Kind.POSTGRES, port,
                    onInfrastructure(JavaProcess.mainClass(settings.jvmOptions(), EmbeddedPostgresServer.class, args.toArray(String[]::new))),
                    EmbeddedPostgresServer.READY, host));
            awaitReady(postgres, startProcess(postgres, false));
            where = "embedded, data in " + state.resolve("postgres") + (settings.hosts() != null ? ", on " + settings.hosts().infrastructure() : "");
        }
        try {
            LocalPostgres.ensureDatabase(host, port, database);
        } catch (IllegalStateException e) {
            throw new LocalFleetException(e.getMessage(), e);
        }
        jdbcUrl = LocalPostgres.databaseUrl(host, port, database);
        return jdbcUrl + " (" + where + ")";
    }

    /** The model for every OpenCode of the fleet: the workers' and the reviewer's (LLM review). */
    private String startModel() {
        ModelChoice model = settings.model();
        String baseUrl = model.scriptedModelUrl();
        if (model.scriptedModelScript() != null) {
            int port = Ports.freePort();
            String host = infrastructureAddress();
            Launch launch = define(new Launch(FleetProcess.MODEL, Kind.MODEL, port,
                    onInfrastructure(JavaProcess.mainClass(settings.jvmOptions(), ScriptedModel.class, ScriptedModel.HOST_OPTION + host,
                            String.valueOf(port), model.scriptedModelScript().toString())), MODEL_READY, host));
            awaitReady(launch, startProcess(launch, false));
            baseUrl = "http://" + host + ":" + port + "/v1";
        } else if (settings.hosts() != null && baseUrl != null && URI.create(baseUrl).getHost().startsWith("127.")) {
            throw LocalFleetException.invalid("the scripted model at " + baseUrl + " is on loopback, where the hosts of a multi-host"
                    + " fleet cannot reach it: let the fleet run it (ModelChoice.scripted(script)) or start it on a test network address");
        }
        modelBaseUrl = baseUrl;
        if (baseUrl == null) {
            return model.description();
        }
        Path config = write(state.resolve("scripted-model/opencode.json"), ScriptedModelConfig.jsonForScriptedModel(baseUrl));
        modelEnv.put("OPENCODE_CONFIG", config.toString());
        modelEnv.put("FLEET_MODEL", ScriptedModelConfig.MODEL);
        return model.scriptedModelScript() != null ? model.description() + " at " + baseUrl : model.description();
    }

    /**
     * The git server ({@link GitHttpServer}) on the infrastructure host, its repositories in {@code <state>/git}, a
     * new password each start, and the credential helper's files in {@code <state>/git-credentials} (only the owner
     * reads them), which the workers and the reviewer get through {@code GIT_CONFIG_GLOBAL}.
     */
    private String startGitServer() {
        int port = Ports.freePort();
        String host = infrastructureAddress();
        String password = randomSecret();
        JavaProcess process = onInfrastructure(JavaProcess.mainClass(settings.jvmOptions(), GitHttpServer.class,
                GitHttpServer.HOST_OPTION + host, gitRoot().toString(), String.valueOf(port)))
                .env(GitHttpServer.USER_ENV, GIT_USER)
                .env(GitHttpServer.PASSWORD_ENV, password); // not on the command line, where `ps` shows it
        Launch launch = define(new Launch(FleetProcess.GIT, Kind.GIT, port, process, GitHttpServer.READY, host));
        awaitReady(launch, startProcess(launch, false));
        gitBaseUrl = GitHttpServer.baseUrl(host, port);
        gitCredentials = GitCredentials.write(state.resolve("git-credentials"), gitBaseUrl, GIT_USER, password);
        gitEnv.putAll(gitCredentials.environment());
        return gitBaseUrl + " (smart HTTP, Basic auth; repositories in " + gitRoot() + ", credentials for the services' git in "
                + gitCredentials.store() + ")";
    }

    private Path gitRoot() {
        return state.resolve("git");
    }

    /** Where the infrastructure listens: 127.0.0.1, or the infrastructure host's address. */
    private String infrastructureAddress() {
        return settings.hosts() == null ? LOOPBACK : settings.hosts().infrastructure().address();
    }

    private JavaProcess onInfrastructure(JavaProcess process) {
        return settings.hosts() == null ? process : process.prefix(settings.hosts().infrastructure().prefix());
    }

    /**
     * The broker's admin password when the fleet authenticates Kafka clients (made once per state directory: the
     * broker's storage keeps it), else null. Refuses broker data made in the other mode.
     */
    private String kafkaAdminPassword() {
        Path file = state.kafkaAdminPasswordFile();
        boolean formatted = Files.exists(state.resolve("kafka/kraft/meta.properties"));
        if (settings.kafkaAuth() && formatted && !Files.exists(file)) {
            throw LocalFleetException.invalid("the Kafka broker's data in " + state.resolve("kafka")
                    + " was made without authentication; start without --kafka-auth, or delete that directory (its topics and offsets go with it).");
        }
        if (!settings.kafkaAuth() && formatted && Files.exists(file)) {
            throw LocalFleetException.invalid("the Kafka broker's data in " + state.resolve("kafka")
                    + " was made with authentication; start with --kafka-auth, or delete that directory and " + state.kafkaAuthDir() + ".");
        }
        if (!settings.kafkaAuth()) {
            return null;
        }
        if (!Files.exists(file)) {
            writePrivate(file, randomSecret());
        }
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Creates the fleet's topics, and a SCRAM user for each service and for submitters with a new password and the
     * ACLs of the manifests; writes each user's client settings to {@code <state>/kafka-auth/<user>.properties}.
     */
    private String setUpKafkaUsers() {
        KafkaAccess access;
        try {
            access = KafkaAccess.fromProject(settings.projectRoot());
        } catch (IllegalArgumentException e) {
            throw new LocalFleetException(e.getMessage(), e);
        }
        Map<String, String> passwords = new LinkedHashMap<>();
        for (String user : List.of(KafkaAccess.PLANNER, KafkaAccess.REVIEWER, KafkaAccess.WORKER, KafkaAccess.SUBMITTER)) {
            passwords.put(user, randomSecret());
        }
        Map<String, Object> admin = new LinkedHashMap<>(KafkaBroker.clientProperties(bootstrap, KafkaBroker.ADMIN, kafkaAdminPassword()));
        admin.put("client.id", "fleet-local-setup");
        try (Admin client = Admin.create(admin)) {
            access.apply(client, passwords);
        } catch (IllegalStateException e) {
            throw new LocalFleetException(e.getMessage(), e);
        }
        passwords.forEach((user, password) -> {
            Map<String, Object> client = KafkaBroker.clientProperties(bootstrap, user, password);
            kafkaClients.put(user, client);
            StringBuilder text = new StringBuilder("# Kafka client settings of user " + user + " of the local fleet in " + state.root()
                    + "\n# (new ones at every `bin/fleet up`). E.g. bin/fleet submit --kafka --kafka-config <this file>\n");
            new java.util.TreeMap<>(client).forEach((key, value) -> text.append(key).append('=')
                    .append(value.toString().replace("\\", "\\\\")).append('\n'));
            writePrivate(state.kafkaClientConfig(user), text.toString());
        });
        return passwords.size() + " users with the ACLs of " + KafkaAccess.MANIFESTS + "/users.yaml";
    }

    private JavaProcess plannerProcess(Path jar, int managementPort) {
        return service(jar, settings.plannerPort(), managementPort, KafkaAccess.PLANNER, infrastructureHost())
                .property("quarkus.datasource.jdbc.url", jdbcUrl)
                .property("quarkus.datasource.username", LocalPostgres.USER)
                .property("quarkus.datasource.password", "")
                .property("fleet.repo.allowed-schemes", ALLOWED_REPO_SCHEMES)
                .property("mp.jwt.verify.publickey.location", "file:" + credentials().publicKey())
                .property("mp.jwt.verify.issuer", ApiCredentials.ISSUER)
                .properties(settings.plannerProperties())
                .environment(settings.environment());
    }

    private JavaProcess reviewerProcess(Path jar, int managementPort) {
        return service(jar, settings.reviewerPort(), managementPort, KafkaAccess.REVIEWER, infrastructureHost())
                .property("fleet.reviewer.work-dir", state.resolve("reviewer"))
                .property("fleet.opencode.home", state.resolve("opencode/reviewer"))
                .property("fleet.opencode.bin", opencodeBinary)
                .properties(settings.reviewerProperties())
                .environment(modelEnv)
                .environment(gitEnv)
                .environment(settings.environment());
    }

    private Host infrastructureHost() {
        return settings.hosts() == null ? null : settings.hosts().infrastructure();
    }

    /** Worker {@code index} on {@code host} (null: this machine's loopback). */
    private Launch defineWorker(int index, Path jar, Host host) {
        String name = FleetProcess.WORKER_PREFIX + index;
        int port = settings.firstWorkerPort() > 0 ? settings.firstWorkerPort() + index - 1 : Ports.freePort();
        int managementPort = Ports.freePort();
        if (host != null) {
            workerHosts.put(name, host);
        }
        JavaProcess worker = service(jar, port, managementPort, KafkaAccess.WORKER, host)
                .property("fleet.worker.id", name)
                .property("fleet.worker.slots", settings.slotsPerWorker())
                .property("fleet.worker.work-dir", state.resolve("workers/" + name))
                .property("fleet.opencode.home", state.resolve("opencode/" + name))
                .property("fleet.opencode.bin", opencodeBinary)
                // attach goes through the worker, which checks the fleet's token like the planner
                .property("mp.jwt.verify.publickey.location", "file:" + credentials().publicKey())
                .property("mp.jwt.verify.issuer", ApiCredentials.ISSUER)
                .properties(settings.workerProperties())
                .environment(modelEnv)
                .environment(gitEnv)
                .environment(settings.environment());
        return define(new Launch(name, Kind.SERVICE, port, managementPort, worker, null, host == null ? LOOPBACK : host.address()));
    }

    /**
     * A service on loopback: the main port, the management port ({@code /q/*}), the broker, and with Kafka
     * authentication the service's own user, in the environment as a deployment passes it from Strimzi's Secret
     * (Quarkus maps {@code KAFKA_SASL_JAAS_CONFIG} to {@code kafka.sasl.jaas.config}, which every Kafka client of
     * the service gets): not on the command line, where {@code ps} would show the password.
     */
    private JavaProcess service(Path jar, int port, int managementPort, String kafkaUser, Host host) {
        String address = host == null ? LOOPBACK : host.address();
        JavaProcess service = JavaProcess.jar(settings.jvmOptions(), jar)
                .property("kafka.bootstrap.servers", bootstrap)
                .property("quarkus.http.port", port)
                .property("quarkus.http.host", address)
                .property("quarkus.management.port", managementPort)
                .property("quarkus.management.host", address);
        if (host != null) {
            service.prefix(host.prefix());
        }
        Map<String, Object> kafka = kafkaClients.get(kafkaUser);
        if (kafka != null) {
            service.env("KAFKA_SECURITY_PROTOCOL", kafka.get("security.protocol").toString())
                    .env("KAFKA_SASL_MECHANISM", kafka.get("sasl.mechanism").toString())
                    .env("KAFKA_SASL_JAAS_CONFIG", kafka.get("sasl.jaas.config").toString());
        }
        return service;
    }

    private Launch define(Launch launch) {
        synchronized (launches) {
            launches.put(launch.name(), launch);
        }
        return launch;
    }

    /** Starts the process and records it; returns the log offset its output starts at. */
    private long startProcess(Launch launch, boolean again) {
        Path log = state.log(launch.name());
        long offset = 0;
        if (again) {
            try {
                Files.createDirectories(log.getParent());
                Files.writeString(log, "----- started again at " + Instant.now() + " -----\n", StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
                offset = Files.size(log);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        ProcessHandle handle = launch.process().start(log, again);
        handles.put(launch.name(), handle);
        state.replace(FleetProcess.of(launch.name(), handle, launch.port(), launch.managementPort()));
        return offset;
    }

    private void awaitReady(Launch launch, long logOffset) {
        ProcessHandle handle = handles.get(launch.name());
        Path log = state.log(launch.name());
        if (launch.kind() == Kind.SERVICE) {
            Readiness.awaitHealthy(launch.name(), handle, launch.managementUrl(), log, settings.startTimeout());
        } else {
            Readiness.awaitLogLine(describe(launch), handle, log, launch.readyLine(), logOffset, settings.startTimeout());
        }
    }

    private static String describe(Launch launch) {
        return switch (launch.kind()) {
            case BROKER -> "Kafka broker";
            case POSTGRES -> "embedded PostgreSQL";
            case MODEL -> "scripted model";
            case GIT -> "git server";
            case SERVICE -> launch.name();
        };
    }

    // ----- process control (tests: chaos, restarts) -----

    /** SIGKILL for the process and every process it started (a worker's {@code opencode serve}); waits until they are gone. */
    public synchronized void kill(String name) {
        ProcessHandle handle = requireHandle(name);
        List<ProcessHandle> all = Stream.concat(Stream.concat(Stream.of(handle), handle.descendants()), detached(name)).toList();
        all.forEach(ProcessHandle::destroyForcibly);
        awaitExit(all, Duration.ofSeconds(10));
    }

    /** Processes a process started that are not its descendants: embedded PostgreSQL's postmaster and backends. */
    private Stream<ProcessHandle> detached(String name) {
        if (!name.equals(FleetProcess.POSTGRES)) {
            return Stream.empty();
        }
        return EmbeddedPostgresServer.postmaster(state.resolve("postgres"))
                .map(postmaster -> Stream.concat(Stream.of(postmaster), postmaster.descendants()))
                .orElseGet(Stream::empty);
    }

    /** SIGTERM, then waits up to the settings' stop timeout; see {@link #terminate(String, Duration)}. */
    public boolean terminate(String name) {
        return terminate(name, settings().stopTimeout());
    }

    /**
     * SIGTERM for the process only (a worker stops its own OpenCode server), and waits up to {@code timeout} for it
     * to exit. Returns true when it exited in time; otherwise it and what it started are killed, and false is returned.
     */
    public synchronized boolean terminate(String name, Duration timeout) {
        ProcessHandle handle = requireHandle(name);
        List<ProcessHandle> children = Stream.concat(handle.descendants(), detached(name)).toList();
        handle.destroy();
        boolean exited = awaitExit(List.of(handle), timeout);
        List<ProcessHandle> all = Stream.concat(Stream.of(handle), children.stream()).filter(ProcessHandle::isAlive).toList();
        all.forEach(ProcessHandle::destroyForcibly);
        awaitExit(all, Duration.ofSeconds(10));
        return exited;
    }

    /** Starts a stopped process again with the same settings and port, and waits until it is ready. */
    public synchronized void start(String name) {
        Launch launch = requireLaunch(name);
        ProcessHandle current = handles.get(name);
        if (current != null && current.isAlive()) {
            throw new IllegalStateException(name + " is running (pid " + current.pid() + ")");
        }
        long offset = startProcess(launch, true);
        long started = System.nanoTime();
        awaitReady(launch, offset);
        out.printf("  %-10s started again (%s)%n", name, seconds(started));
        out.flush();
    }

    /** {@link #terminate(String)} then {@link #start(String)}. */
    public synchronized void restart(String name) {
        if (isRunning(name)) {
            terminate(name);
        }
        start(name);
    }

    /**
     * Starts one more worker ({@code worker-<n+1>}, the next port or a free one; on a multi-host fleet on the next
     * worker host in turn) and returns its name once it is ready.
     */
    public synchronized String addWorker() {
        requireStarted();
        return addWorker(settings.hosts() == null ? null : settings.hosts().workerHost(nextWorkerIndex()));
    }

    /** Starts one more worker on {@code host} (null: this machine's loopback) and returns its name once it is ready. */
    public synchronized String addWorker(Host host) {
        requireStarted();
        int index = nextWorkerIndex();
        Launch launch = defineWorker(index, serviceJar("worker-service"), host);
        if (host == null && (!Ports.free(launch.port()) || !Ports.free(launch.managementPort()))) {
            synchronized (launches) {
                launches.remove(launch.name());
            }
            throw new LocalFleetException("port " + launch.port() + " or " + launch.managementPort() + " for " + launch.name()
                    + " is already in use");
        }
        startProcess(launch, false);
        long started = System.nanoTime();
        awaitReady(launch, 0);
        out.printf("  %-10s ready (%s)%n", launch.name(), seconds(started));
        out.flush();
        return launch.name();
    }

    /** Stops the broker cleanly (SIGTERM); its data stays for {@link #startBroker()}. */
    public boolean stopBroker() {
        requireOwnBroker();
        return terminate(FleetProcess.BROKER);
    }

    /** Starts the broker again on the same port and data. */
    public void startBroker() {
        requireOwnBroker();
        start(FleetProcess.BROKER);
    }

    private int nextWorkerIndex() {
        return workers().stream().mapToInt(w -> Integer.parseInt(w.substring(FleetProcess.WORKER_PREFIX.length())))
                .max().orElse(0) + 1;
    }

    private void requireOwnBroker() {
        requireStarted();
        if (settings.externalKafka() != null) {
            throw new IllegalStateException("this fleet uses the broker at " + settings.externalKafka() + ", not one of its own");
        }
    }

    /** Stops the fleet's embedded PostgreSQL (SIGTERM); its data stays for {@link #startPostgres()}. */
    public boolean stopPostgres() {
        requireEmbeddedPostgres();
        return terminate(FleetProcess.POSTGRES);
    }

    public void startPostgres() {
        requireEmbeddedPostgres();
        start(FleetProcess.POSTGRES);
    }

    private void requireEmbeddedPostgres() {
        requireStarted();
        if (!embeddedPostgres) {
            throw new IllegalStateException("this fleet uses the PostgreSQL server on port " + settings.postgresPort()
                    + ", not one of its own: use FleetSettings.Builder.embeddedPostgres(port) to stop and start it");
        }
    }

    private ProcessHandle requireHandle(String name) {
        ProcessHandle handle = handles.get(name);
        if (handle != null) {
            return handle;
        }
        return state.process(name).flatMap(FleetProcess::handle)
                .orElseThrow(() -> new IllegalArgumentException("no process '" + name + "' in this fleet; names: " + names()));
    }

    private Launch requireLaunch(String name) {
        Launch launch;
        synchronized (launches) {
            launch = launches.get(name);
        }
        if (launch == null) {
            throw new IllegalArgumentException("no process '" + name + "' in this fleet; names: " + names());
        }
        return launch;
    }

    private void requireStarted() {
        if (settings == null) {
            throw new IllegalStateException("this fleet has not been started (up)");
        }
    }

    // ----- down -----

    /**
     * Stops every recorded process and the processes they started (the workers' OpenCode servers): services
     * first, so they leave the broker and database cleanly, then the infrastructure; SIGKILL for whatever
     * outlives the stop timeout. The broker's and PostgreSQL's data stay. Returns the names of the processes it stopped.
     */
    public synchronized List<String> down() {
        Duration timeout = settings != null ? settings.stopTimeout() : Duration.ofSeconds(30);
        List<FleetProcess> recorded = state.processes();
        List<String> stopped = new ArrayList<>();
        stop(recorded.stream().filter(p -> p.isService() || p.name().equals(FleetProcess.MODEL)).toList(), stopped, timeout);
        stop(recorded.stream().filter(p -> !p.isService() && !p.name().equals(FleetProcess.MODEL)).toList(), stopped, timeout);
        List<String> stillListening = recorded.stream().flatMap(p -> p.ports().stream().filter(Ports::listening)
                .map(port -> p.name() + " port " + port)).toList();
        if (!stillListening.isEmpty()) {
            throw new LocalFleetException("stopped the fleet's processes, but something still listens on "
                    + String.join(", ", stillListening));
        }
        state.forgetProcesses();
        handles.clear();
        return stopped;
    }

    /** {@link #down()}. */
    @Override
    public void close() {
        down();
    }

    private void stop(List<FleetProcess> processes, List<String> stopped, Duration timeout) {
        List<ProcessHandle> parents = new ArrayList<>();
        List<ProcessHandle> children = new ArrayList<>();
        for (FleetProcess process : processes) {
            process.handle().ifPresent(handle -> {
                // Collected now: once a worker is gone, its OpenCode server is an orphan nobody knows about.
                handle.descendants().forEach(children::add);
                parents.add(handle);
                stopped.add(process.name());
            });
            // Killed if still there once its parent is gone (also after the parent was killed earlier).
            detached(process.name()).forEach(children::add);
        }
        // Parents only: a worker stops its own OpenCode server, and would restart one killed under it.
        parents.forEach(ProcessHandle::destroy);
        awaitExit(parents, timeout);
        Stream.concat(parents.stream(), children.stream()).filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        awaitExit(Stream.concat(parents.stream(), children.stream()).toList(), Duration.ofSeconds(10));
    }

    private static boolean awaitExit(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processes.stream().anyMatch(ProcessHandle::isAlive)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(100);
        }
        return true;
    }

    // ----- what runs where -----

    public StateDir state() {
        return state;
    }

    /** The settings it runs with, ports resolved. */
    public FleetSettings settings() {
        requireStarted();
        return settings;
    }

    public String bootstrapServers() {
        requireStarted();
        return bootstrap;
    }

    /** The planner's database. */
    public String database() {
        requireStarted();
        return database;
    }

    public String jdbcUrl() {
        requireStarted();
        return jdbcUrl;
    }

    public int postgresPort() {
        return settings().postgresPort();
    }

    /** True when PostgreSQL is the fleet's own embedded one ({@link #stopPostgres()} works). */
    public boolean embeddedPostgres() {
        requireStarted();
        return embeddedPostgres;
    }

    /** The host a worker runs on (a multi-host fleet), else empty. */
    public Optional<Host> hostOf(String worker) {
        requireLaunch(worker);
        return Optional.ofNullable(workerHosts.get(worker));
    }

    /** The workers running on a host (a multi-host fleet). */
    public List<String> workersOn(Host host) {
        return workers().stream().filter(w -> host.equals(workerHosts.get(w))).toList();
    }

    /** {@code http://<host>:<port>/} of the fleet's git server ({@link FleetSettings#gitServer()}). */
    public String gitServerUrl() {
        requireGitServer();
        return gitBaseUrl;
    }

    /** {@code http://<host>:<port>/<name>.git}: a repository of the fleet's git server, without credentials. */
    public String repositoryUrl(String name) {
        return GitHttpServer.repositoryUrl(gitServerUrl(), name);
    }

    /**
     * A new repository on the fleet's git server ({@code <state>/git/<name>.git}, one commit on main with
     * {@code files}); read what the fleet pushed through the returned repository (on disk). Its URL for missions:
     * {@link #repositoryUrl(String)}.
     */
    public LocalRepository createRepository(String name, Map<String, String> files) {
        requireGitServer();
        return GitHttpServer.createRepository(gitRoot(), name, files);
    }

    /** The credential helper's files the workers and the reviewer use for the fleet's git server. */
    public GitCredentials gitCredentials() {
        requireGitServer();
        return gitCredentials;
    }

    private void requireGitServer() {
        requireStarted();
        if (gitBaseUrl == null) {
            throw new IllegalStateException("this fleet runs no git server: FleetSettings.Builder.gitServer(true)");
        }
    }

    /** The OpenAI base URL of the scripted model the services use, if any. */
    public Optional<String> modelBaseUrl() {
        return Optional.ofNullable(modelBaseUrl);
    }

    public Path opencodeBinary() {
        requireStarted();
        return opencodeBinary;
    }

    /** Every process it can start, in start order. */
    public List<String> names() {
        synchronized (launches) {
            return List.copyOf(launches.keySet());
        }
    }

    public List<String> workers() {
        return names().stream().filter(n -> n.startsWith(FleetProcess.WORKER_PREFIX)).toList();
    }

    public int port(String name) {
        return requireLaunch(name).port();
    }

    /** {@code http://<address>:<port>} of a process (127.0.0.1, or its host's address): a service's main port (the planner's REST API). */
    public URI url(String name) {
        return requireLaunch(name).url();
    }

    public URI plannerUrl() {
        return url(FleetProcess.PLANNER);
    }

    /** The management port of a service, where its {@code /q/health}, {@code /q/metrics} (and the planner's {@code /q/openapi}) answer. */
    public int managementPort(String name) {
        Launch launch = requireLaunch(name);
        if (launch.kind() != Kind.SERVICE) {
            throw new IllegalArgumentException(name + " is no service and has no management port");
        }
        return launch.managementPort();
    }

    /** {@code http://<address>:<management port>} of a service: {@code /q/health/ready}, {@code /q/metrics}, ... */
    public URI managementUrl(String name) {
        managementPort(name);
        return requireLaunch(name).managementUrl();
    }

    /** Main base URLs of the services by role ({@code planner}, {@code reviewer}, {@code worker}): the planner's API. */
    public Map<String, List<String>> serviceUrls() {
        return byRole(this::url);
    }

    /** Management base URLs of the services by role ({@code planner}, {@code reviewer}, {@code worker}): what Prometheus scrapes. */
    public Map<String, List<String>> managementUrls() {
        return byRole(this::managementUrl);
    }

    private Map<String, List<String>> byRole(java.util.function.Function<String, URI> url) {
        Map<String, List<String>> urls = new LinkedHashMap<>();
        urls.put("planner", List.of(url.apply(FleetProcess.PLANNER).toString()));
        urls.put("reviewer", names().contains(FleetProcess.REVIEWER) ? List.of(url.apply(FleetProcess.REVIEWER).toString()) : List.of());
        urls.put("worker", workers().stream().map(w -> url.apply(w).toString()).toList());
        return urls;
    }

    /**
     * Kafka client settings for one of the fleet's users ({@link KafkaAccess#PLANNER}, {@link KafkaAccess#WORKER},
     * {@link KafkaAccess#REVIEWER}, {@link KafkaAccess#SUBMITTER}) on a fleet with {@link FleetSettings#kafkaAuth()};
     * else just the bootstrap servers (anyone may do anything).
     */
    public Map<String, Object> kafkaClientProperties(String user) {
        requireStarted();
        if (!settings.kafkaAuth()) {
            return Map.of("bootstrap.servers", bootstrap);
        }
        Map<String, Object> client = kafkaClients.get(user);
        if (client == null) {
            throw new IllegalArgumentException("no Kafka user " + user + " in this fleet; users: " + kafkaClients.keySet());
        }
        return client;
    }

    /** Settings of the broker's super user {@code admin} (everything allowed), or just the bootstrap servers without authentication. */
    public Map<String, Object> kafkaAdminProperties() {
        requireStarted();
        return settings.kafkaAuth() ? KafkaBroker.clientProperties(bootstrap, KafkaBroker.ADMIN, kafkaAdminPassword())
                : Map.of("bootstrap.servers", bootstrap);
    }

    /** The running process of that name, if it runs. */
    public Optional<ProcessHandle> process(String name) {
        ProcessHandle handle = handles.get(name);
        if (handle == null) {
            return state.process(name).flatMap(FleetProcess::handle);
        }
        return handle.isAlive() ? Optional.of(handle) : Optional.empty();
    }

    public boolean isRunning(String name) {
        return process(name).isPresent();
    }

    public Path log(String name) {
        return state.log(name);
    }

    /** The last {@code lines} lines of a process's log. */
    public String tail(String name, int lines) {
        return Readiness.tail(state.log(name), lines);
    }

    /** The end of every process's log, for a failed test's message. */
    public String logs() {
        StringBuilder text = new StringBuilder();
        for (String name : names()) {
            text.append("\n===== ").append(name).append(" (").append(state.log(name)).append(") =====\n").append(tail(name, 60));
        }
        return text.toString();
    }

    /** The password of every worker's OpenCode server. */

    // ----- the planner's REST API -----

    /** POSTs a mission to {@code /api/v1/missions}. */
    public HttpResponse<String> submit(String missionJson) {
        return post("/api/v1/missions", missionJson);
    }

    /** POSTs a JSON body ({@code {}} when null) to the planner, with the local fleet's token. */
    public HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(plannerUrl().resolve(path)).header("content-type", "application/json")
                .header("authorization", "Bearer " + credentials().token()).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(json == null ? "{}" : json)).build());
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(plannerUrl().resolve(path)).header("authorization", "Bearer " + credentials().token())
                .timeout(Duration.ofSeconds(60)).GET().build());
    }

    /** The local fleet's API key and token (made in the state dir on first use). */
    public ApiCredentials credentials() {
        return ApiCredentials.of(state);
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ----- helpers -----

    private void requireFreePorts() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        if (settings.externalKafka() == null) {
            ports.put("Kafka broker (--kafka-port)", settings.kafkaPort());
        }
        ports.put("planner (--planner-port)", settings.plannerPort());
        if (settings.reviewer()) {
            ports.put("reviewer (--reviewer-port)", settings.reviewerPort());
        }
        if (settings.firstWorkerPort() > 0) {
            for (int i = 0; i < settings.workers(); i++) {
                ports.put("worker-" + (i + 1) + " (--worker-port)", settings.firstWorkerPort() + i);
            }
        }
        if (settings.postgres() == FleetSettings.Postgres.EMBEDDED) {
            ports.put("embedded PostgreSQL", settings.postgresPort());
        }
        ports.forEach((what, port) -> {
            if (!Ports.free(port)) {
                throw new LocalFleetException("port " + port + " for the " + what + " is already in use; "
                        + "stop what uses it or pick another port with the flag.");
            }
        });
    }

    private Path serviceJar(String module) {
        Path jar = settings.projectRoot().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new LocalFleetException("no packaged " + module + " at " + jar
                    + "; build it with `./mvnw -q -DskipTests install` (bin/fleet does this when the CLI jar is missing).");
        }
        return jar;
    }

    /** 36 hex digits: safe in a JAAS line and a properties file. */
    private static String randomSecret() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Writes a file only its owner may read (its directory too), before anything is in it. */
    private static void writePrivate(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.setPosixFilePermissions(file.getParent(), PosixFilePermissions.fromString("rwx------"));
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, text);
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

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
