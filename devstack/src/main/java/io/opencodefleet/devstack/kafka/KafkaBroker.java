package io.opencodefleet.devstack.kafka;

import io.opencodefleet.devstack.Ports;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;

/**
 * A real Apache Kafka broker: one node in KRaft mode, broker and controller in one JVM, from the Maven Central
 * jars. Its data directory keeps topics, records, committed offsets (and in SASL mode users and ACLs) across
 * restarts, also after {@code kill -9}: the storage is formatted only on the first start.
 *
 * <p>In this JVM: {@link #start(Path, int)}; as its own process: {@link #main} ({@code KafkaBroker <dataDir> <port>
 * [adminPassword]}), which prints {@value #READY}{@code <bootstrap servers>} once it serves.
 *
 * <p>With an admin password both listeners speak SASL_PLAINTEXT with SCRAM-SHA-256, the super user {@value #ADMIN}
 * is created when the storage is formatted, and the standard authorizer denies everyone else what no ACL allows.
 */
public final class KafkaBroker implements AutoCloseable {

    /** What {@link #main} prints, followed by the bootstrap servers, once the broker serves. */
    public static final String READY = "kafka.bootstrap.servers=";
    /** The super user of a SASL broker. */
    public static final String ADMIN = "admin";
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-256";
    /** Where the clients' listener is unless a host is given. */
    public static final String LOOPBACK = "127.0.0.1";
    /** {@link #main}'s option for the clients' listener address. */
    public static final String HOST_OPTION = "--host=";

    private final Path dataDir;
    private final FileLock lock;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final String adminPassword;
    private boolean closed;

    private KafkaBroker(Path dataDir, int port, String adminPassword, String host) {
        this.dataDir = dataDir.toAbsolutePath();
        this.adminPassword = adminPassword;
        // Kafka locks its log dir only once the controller runs on the (shared) metadata log, so a second broker
        // on the same directory could corrupt __cluster_metadata before it fails. Lock first, and fail at once.
        this.lock = lock(this.dataDir);
        try {
            int brokerPort = port > 0 ? port : Ports.freePort();
            Path logDir = this.dataDir.resolve("kraft");
            KafkaConfig config = KafkaConfig.fromProps(properties(logDir, host, brokerPort, adminPassword), false);
            // The Formatter writes meta.properties last: its presence means "formatted" (and holds the cluster id).
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(config, logDir, adminPassword);
            }
            server = new KafkaRaftServer(config, Time.SYSTEM);
            this.bootstrapServers = host + ":" + brokerPort;
        } catch (RuntimeException e) {
            release();
            throw e;
        }
        try {
            server.startup(); // returns once the broker is unfenced and its listeners accept requests
        } catch (RuntimeException e) {
            close(); // otherwise Kafka's non-daemon threads keep the JVM alive
            throw e;
        }
    }

    /** Starts a PLAINTEXT broker on {@code 127.0.0.1:port} (0 = a free port) with its data in {@code dataDir}. */
    public static KafkaBroker start(Path dataDir, int port) {
        return new KafkaBroker(dataDir, port, null, LOOPBACK);
    }

    /**
     * Starts a SASL_PLAINTEXT/SCRAM-SHA-256 broker whose super user is {@value #ADMIN} with this password (it must
     * not contain ',', '[' or ']'). The password is set when the storage is first formatted; later starts must
     * pass the same one.
     */
    public static KafkaBroker start(Path dataDir, int port, String adminPassword) {
        return start(dataDir, port, adminPassword, LOOPBACK);
    }

    /**
     * As {@link #start(Path, int, String)} (a null password: PLAINTEXT), with the clients' listener on {@code host}
     * (an address of this machine, also the one advertised to clients) instead of 127.0.0.1: e.g. a host of a test
     * network. The controller stays on loopback.
     */
    public static KafkaBroker start(Path dataDir, int port, String adminPassword, String host) {
        if (adminPassword != null && (adminPassword.isEmpty() || adminPassword.matches(".*[,\\[\\]\"\\\\].*"))) {
            throw new IllegalArgumentException("the admin password must be non-empty, without , [ ] \" or \\");
        }
        return new KafkaBroker(dataDir, port, adminPassword, host == null || host.isBlank() ? LOOPBACK : host);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path dataDir() {
        return dataDir;
    }

    public boolean sasl() {
        return adminPassword != null;
    }

    /** Client settings for this broker: the bootstrap servers and, in SASL mode, the admin's credentials. */
    public Map<String, Object> clientProperties() {
        return clientProperties(bootstrapServers, adminPassword == null ? null : ADMIN, adminPassword);
    }

    /** Client settings for a broker: SCRAM-SHA-256 credentials when a user is given. */
    public static Map<String, Object> clientProperties(String bootstrapServers, String user, String password) {
        if (user == null) {
            return Map.of("bootstrap.servers", bootstrapServers);
        }
        return Map.of("bootstrap.servers", bootstrapServers,
                "security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", SCRAM_MECHANISM,
                "sasl.jaas.config", jaas(user, password));
    }

    /** Stops the broker (a controlled shutdown) and releases the data directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            release();
        }
    }

    private static Properties properties(Path logDir, String host, int port, String adminPassword) {
        boolean sasl = adminPassword != null;
        String protocol = sasl ? "SASL_PLAINTEXT" : "PLAINTEXT";
        // A new controller port each start is fine with static voters: the quorum is this one node.
        int controllerPort = Ports.freePort();
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listeners", "BROKER://" + host + ":" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "BROKER://" + host + ":" + port);
        p.put("listener.security.protocol.map", "BROKER:" + protocol + ",CONTROLLER:" + protocol);
        p.put("inter.broker.listener.name", "BROKER");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "4");
        p.put("default.replication.factor", "1");
        p.put("auto.create.topics.enable", "true");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // After kill -9 the restarted controller still holds the dead incarnation's registration until its session
        // times out (9 s by default) and refuses the new one (DUPLICATE_BROKER_REGISTRATION) until then.
        p.put("broker.session.timeout.ms", "2000");
        p.put("broker.heartbeat.interval.ms", "500");
        if (sasl) {
            String jaas = jaas(ADMIN, adminPassword);
            p.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
            p.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
            p.put("sasl.mechanism.controller.protocol", SCRAM_MECHANISM);
            p.put("listener.name.broker.scram-sha-256.sasl.jaas.config", jaas);
            p.put("listener.name.controller.scram-sha-256.sasl.jaas.config", jaas);
            p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            p.put("super.users", "User:" + ADMIN);
        }
        return p;
    }

    private static void format(KafkaConfig config, Path logDir, String adminPassword) {
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setClusterId(Uuid.randomUuid().toString())
                .setNodeId(config.nodeId())
                .setControllerListenerName(config.controllerListenerNames().get(0))
                .setMetadataLogDirectory(config.metadataLogDir())
                .setDirectories(List.of(logDir.toString()));
        if (adminPassword != null) { // kafka-storage format --add-scram
            formatter.setScramArguments(List.of(SCRAM_MECHANISM + "=[name=" + ADMIN + ",password=" + adminPassword + "]"));
        }
        try {
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka's storage in " + logDir + ": " + e.getMessage(), e);
        }
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    private static FileLock lock(Path dataDir) {
        FileChannel channel = null;
        try {
            Files.createDirectories(dataDir);
            channel = FileChannel.open(dataDir.resolve("instance.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new IllegalStateException("another Kafka broker is using " + dataDir);
            }
            return lock;
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new IllegalStateException("another Kafka broker in this JVM is using " + dataDir);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot lock " + dataDir, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private void release() {
        closeQuietly(lock.channel());
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }

    /**
     * Runs a broker until this process is stopped: {@code KafkaBroker [--host=<address>] <dataDir> <port>
     * [adminPassword]}, or the admin password in {@code FLEET_KAFKA_ADMIN_PASSWORD} (so it is not on the command
     * line). {@code --host} puts the clients' listener on that address (default 127.0.0.1). SIGTERM shuts it down
     * cleanly; after SIGKILL the next start recovers the data.
     */
    public static void main(String[] options) throws InterruptedException {
        String host = LOOPBACK;
        List<String> positional = new java.util.ArrayList<>();
        for (String option : options) {
            if (option.startsWith(HOST_OPTION)) {
                host = option.substring(HOST_OPTION.length());
            } else {
                positional.add(option);
            }
        }
        String[] args = positional.toArray(String[]::new);
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: KafkaBroker [--host=<address>] <dataDir> <port> [adminPassword]");
            System.exit(2);
        }
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        String password = args.length > 2 ? args[2] : System.getenv("FLEET_KAFKA_ADMIN_PASSWORD");
        long started = System.nanoTime();
        KafkaBroker broker;
        try {
            broker = start(Path.of(args[0]), Integer.parseInt(args[1]), password == null || password.isEmpty() ? null : password, host);
        } catch (RuntimeException e) {
            System.err.println("Kafka broker failed to start: " + e.getMessage());
            e.printStackTrace();
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "kafka-broker-shutdown"));
        System.out.printf("Kafka broker (KRaft%s) started in %d ms, data in %s%n", broker.sasl() ? ", SASL/SCRAM" : "",
                (System.nanoTime() - started) / 1_000_000, broker.dataDir());
        System.out.println(READY + broker.bootstrapServers());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
