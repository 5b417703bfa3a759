package io.opencodefleet.devstack.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How a {@link LocalFleet} is laid out: ports (0 = a free one, chosen at start and kept for restarts; each service's
 * management port is always a free one), sizes, Kafka with or without authentication,
 * PostgreSQL and database, the model, the OpenCode binary, and extra settings per service.
 * Build one with {@link #builder()}; {@link #toBuilder()} changes a copy.
 */
public final class FleetSettings {

    /** Which PostgreSQL the planner uses. */
    public enum Postgres {
        /** The server answering on the port, else an embedded one started on it (data in the state dir). */
        AUTO,
        /** Always an embedded one of the fleet's own, on the port (0 = a free one), so it can be stopped and restarted. */
        EMBEDDED
    }

    /** Small heaps and the C1 compiler: a laptop runs a whole fleet, and these processes are I/O bound. */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final int kafkaPort;
    private final String externalKafka;
    private final boolean kafkaAuth;
    private final int plannerPort;
    private final int reviewerPort;
    private final int firstWorkerPort;
    private final int workers;
    private final int slotsPerWorker;
    private final boolean reviewer;
    private final int postgresPort;
    private final Postgres postgres;
    private final String database;
    private final ModelChoice model;
    private final Supplier<Path> opencode;
    private final Map<String, String> plannerProperties;
    private final Map<String, String> reviewerProperties;
    private final Map<String, String> workerProperties;
    private final Map<String, String> environment;
    private final List<String> jvmOptions;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final Path projectRoot;
    private final FleetHosts hosts;
    private final boolean gitServer;

    private FleetSettings(Builder b) {
        this.kafkaPort = b.kafkaPort;
        this.externalKafka = b.externalKafka;
        this.kafkaAuth = b.kafkaAuth;
        this.plannerPort = b.plannerPort;
        this.reviewerPort = b.reviewerPort;
        this.firstWorkerPort = b.firstWorkerPort;
        this.workers = b.workers;
        this.slotsPerWorker = b.slotsPerWorker;
        this.reviewer = b.reviewer;
        this.postgresPort = b.postgresPort;
        this.postgres = Objects.requireNonNull(b.postgres);
        this.database = b.database;
        this.model = Objects.requireNonNull(b.model, "model");
        this.opencode = Objects.requireNonNull(b.opencode, "opencode: the OpenCode binary (OpencodeBinary::locateOrInstall)");
        this.plannerProperties = Map.copyOf(b.plannerProperties);
        this.reviewerProperties = Map.copyOf(b.reviewerProperties);
        this.workerProperties = Map.copyOf(b.workerProperties);
        this.environment = Map.copyOf(b.environment);
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.startTimeout = b.startTimeout;
        this.stopTimeout = b.stopTimeout;
        this.projectRoot = b.projectRoot;
        this.hosts = b.hosts;
        this.gitServer = b.gitServer;
        if (hosts != null && externalKafka != null) {
            throw new IllegalArgumentException("a multi-host fleet runs its own broker on " + hosts.infrastructure() + ", not " + externalKafka);
        }
        if (hosts != null && postgres != Postgres.EMBEDDED) {
            throw new IllegalArgumentException("a multi-host fleet runs an embedded PostgreSQL on " + hosts.infrastructure()
                    + ": use embeddedPostgres(0)");
        }
        if (workers < 0 || slotsPerWorker < 1) {
            throw new IllegalArgumentException("workers must be >= 0 and slots per worker >= 1");
        }
        if (kafkaAuth && externalKafka != null) {
            throw new IllegalArgumentException("Kafka authentication needs the fleet's own broker, not one at " + externalKafka);
        }
        if (postgres == Postgres.AUTO && postgresPort == 0) {
            throw new IllegalArgumentException("PostgreSQL port 0 (a free one) needs the embedded PostgreSQL");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.kafkaPort = kafkaPort;
        b.externalKafka = externalKafka;
        b.kafkaAuth = kafkaAuth;
        b.plannerPort = plannerPort;
        b.reviewerPort = reviewerPort;
        b.firstWorkerPort = firstWorkerPort;
        b.workers = workers;
        b.slotsPerWorker = slotsPerWorker;
        b.reviewer = reviewer;
        b.postgresPort = postgresPort;
        b.postgres = postgres;
        b.database = database;
        b.model = model;
        b.opencode = opencode;
        b.plannerProperties.putAll(plannerProperties);
        b.reviewerProperties.putAll(reviewerProperties);
        b.workerProperties.putAll(workerProperties);
        b.environment.putAll(environment);
        b.jvmOptions = jvmOptions;
        b.startTimeout = startTimeout;
        b.stopTimeout = stopTimeout;
        b.projectRoot = projectRoot;
        b.hosts = hosts;
        b.gitServer = gitServer;
        return b;
    }

    public int kafkaPort() {
        return kafkaPort;
    }

    /** The bootstrap servers of a broker that already runs (e.g. a test's), or null: the fleet runs its own. */
    public String externalKafka() {
        return externalKafka;
    }

    /**
     * True: the fleet's broker speaks SASL/SCRAM (admin {@code admin} the only super user), each service connects as
     * its own user with the ACLs of {@code deploy/k8s/base/kafka/users.yaml}, and {@code <state>/kafka-auth/} holds each
     * user's client settings (the submitter's for {@code bin/fleet submit --kafka}). False: a plaintext broker that
     * lets anyone on this machine do anything (it listens on loopback only).
     */
    public boolean kafkaAuth() {
        return kafkaAuth;
    }

    public int plannerPort() {
        return plannerPort;
    }

    public int reviewerPort() {
        return reviewerPort;
    }

    /** Worker N listens on this + N - 1; 0 = each worker on a free port. */
    public int firstWorkerPort() {
        return firstWorkerPort;
    }

    public int workers() {
        return workers;
    }

    public int slotsPerWorker() {
        return slotsPerWorker;
    }

    /** False runs no reviewer (a planner-only control plane for benchmarks). */
    public boolean reviewer() {
        return reviewer;
    }

    public int postgresPort() {
        return postgresPort;
    }

    public Postgres postgres() {
        return postgres;
    }

    /** The planner's database; null = one of the state directory's own ({@code fleet_<hash of its path>}). */
    public String database() {
        return database;
    }

    public ModelChoice model() {
        return model;
    }

    /** Finds (or installs) the {@code opencode} binary the workers and the reviewer run. */
    public Supplier<Path> opencode() {
        return opencode;
    }

    /** Extra {@code -D} properties of the planner (e.g. {@code fleet.lease=20s}); they override the fleet's. */
    public Map<String, String> plannerProperties() {
        return plannerProperties;
    }

    public Map<String, String> reviewerProperties() {
        return reviewerProperties;
    }

    /** Extra {@code -D} properties of every worker. */
    public Map<String, String> workerProperties() {
        return workerProperties;
    }

    /** Extra environment of every service (e.g. {@code OPENCODE_CONFIG}); overrides the fleet's. */
    public Map<String, String> environment() {
        return environment;
    }

    public List<String> jvmOptions() {
        return jvmOptions;
    }

    public Duration startTimeout() {
        return startTimeout;
    }

    /** How long a stopped process may take to exit before it is killed. */
    public Duration stopTimeout() {
        return stopTimeout;
    }

    /** Where the services' jars are built: {@code <module>/target/quarkus-app/quarkus-run.jar}. */
    public Path projectRoot() {
        return projectRoot != null ? projectRoot : StateDir.projectRoot();
    }

    /**
     * The hosts of a multi-host fleet (network namespaces of a {@link io.opencodefleet.devstack.net.TestNetwork}),
     * or null: everything on this machine's loopback.
     */
    public FleetHosts hosts() {
        return hosts;
    }

    /**
     * True: the fleet runs a git server over smart HTTP with Basic authentication
     * ({@link io.opencodefleet.devstack.git.GitHttpServer}; on the infrastructure host of a multi-host fleet), and
     * the workers and the reviewer get its credentials from a git credential helper.
     */
    public boolean gitServer() {
        return gitServer;
    }

    /** Builds {@link FleetSettings}; the defaults are {@code bin/fleet up}'s. */
    public static final class Builder {
        private int kafkaPort = 9092;
        private String externalKafka;
        private boolean kafkaAuth;
        private int plannerPort = 8080;
        private int reviewerPort = 8082;
        private int firstWorkerPort = 8091;
        private int workers = 2;
        private int slotsPerWorker = 2;
        private boolean reviewer = true;
        private int postgresPort = 5432;
        private Postgres postgres = Postgres.AUTO;
        private String database;
        private ModelChoice model = ModelChoice.none();
        private Supplier<Path> opencode;
        private final Map<String, String> plannerProperties = new LinkedHashMap<>();
        private final Map<String, String> reviewerProperties = new LinkedHashMap<>();
        private final Map<String, String> workerProperties = new LinkedHashMap<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private List<String> jvmOptions = DEFAULT_JVM_OPTIONS;
        private Duration startTimeout = Duration.ofSeconds(120);
        private Duration stopTimeout = Duration.ofSeconds(30);
        private Path projectRoot;
        private FleetHosts hosts;
        private boolean gitServer;

        private Builder() {
        }

        /** Runs the fleet on these hosts (null: on this machine's loopback); see {@link FleetSettings#hosts()}. */
        public Builder hosts(FleetHosts hosts) {
            this.hosts = hosts;
            return this;
        }

        /** See {@link FleetSettings#gitServer()}. */
        public Builder gitServer(boolean run) {
            this.gitServer = run;
            return this;
        }

        public Builder kafkaPort(int port) {
            this.kafkaPort = port;
            return this;
        }

        /** Use a broker that already runs instead of starting one (then there is no broker to stop or restart). */
        public Builder externalKafka(String bootstrapServers) {
            this.externalKafka = bootstrapServers;
            return this;
        }

        /** See {@link FleetSettings#kafkaAuth()}; needs the fleet's own broker. */
        public Builder kafkaAuth(boolean enabled) {
            this.kafkaAuth = enabled;
            return this;
        }

        public Builder plannerPort(int port) {
            this.plannerPort = port;
            return this;
        }

        public Builder reviewerPort(int port) {
            this.reviewerPort = port;
            return this;
        }

        public Builder firstWorkerPort(int port) {
            this.firstWorkerPort = port;
            return this;
        }

        /** Every port 0: each process on a free port (tests). */
        public Builder freePorts() {
            kafkaPort = 0;
            plannerPort = 0;
            reviewerPort = 0;
            firstWorkerPort = 0;
            if (postgres == Postgres.EMBEDDED) {
                postgresPort = 0;
            }
            return this;
        }

        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        public Builder slotsPerWorker(int slots) {
            this.slotsPerWorker = slots;
            return this;
        }

        public Builder reviewer(boolean run) {
            this.reviewer = run;
            return this;
        }

        /** The PostgreSQL server on this port, else an embedded one started on it. */
        public Builder postgres(int port) {
            this.postgres = Postgres.AUTO;
            this.postgresPort = port;
            return this;
        }

        /** Always an embedded PostgreSQL of the fleet's own on this port (0 = a free one), data in the state dir. */
        public Builder embeddedPostgres(int port) {
            this.postgres = Postgres.EMBEDDED;
            this.postgresPort = port;
            return this;
        }

        /** The planner's database, created when missing; null = the state directory's own. */
        public Builder database(String database) {
            this.database = database;
            return this;
        }

        public Builder model(ModelChoice model) {
            this.model = model;
            return this;
        }

        public Builder opencode(Supplier<Path> binary) {
            this.opencode = binary;
            return this;
        }

        public Builder opencode(Path binary) {
            Objects.requireNonNull(binary);
            this.opencode = () -> binary;
            return this;
        }

        public Builder plannerProperty(String key, String value) {
            plannerProperties.put(key, value);
            return this;
        }

        public Builder plannerProperties(Map<String, String> properties) {
            plannerProperties.putAll(properties);
            return this;
        }

        public Builder reviewerProperty(String key, String value) {
            reviewerProperties.put(key, value);
            return this;
        }

        public Builder reviewerProperties(Map<String, String> properties) {
            reviewerProperties.putAll(properties);
            return this;
        }

        public Builder workerProperty(String key, String value) {
            workerProperties.put(key, value);
            return this;
        }

        public Builder workerProperties(Map<String, String> properties) {
            workerProperties.putAll(properties);
            return this;
        }

        public Builder env(String key, String value) {
            environment.put(key, value);
            return this;
        }

        public Builder environment(Map<String, String> variables) {
            environment.putAll(variables);
            return this;
        }

        public Builder jvmOptions(List<String> options) {
            this.jvmOptions = List.copyOf(options);
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public Builder stopTimeout(Duration timeout) {
            this.stopTimeout = timeout;
            return this;
        }

        /** The repository whose services' jars the fleet runs (default: {@link StateDir#projectRoot()}). */
        public Builder projectRoot(Path root) {
            this.projectRoot = root;
            return this;
        }

        public FleetSettings build() {
            return new FleetSettings(this);
        }
    }
}
