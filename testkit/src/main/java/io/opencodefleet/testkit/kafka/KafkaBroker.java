package io.opencodefleet.testkit.kafka;

import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.jboss.logging.Logger;

/**
 * A real Apache Kafka broker in KRaft mode (combined broker + controller), running in this JVM from the
 * Maven Central jars. One per JVM is shared by every test class ({@link #shared()}); {@link #main} runs one as
 * a process for local fleets.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KafkaBroker.class);
    private static KafkaBroker shared;

    private final EmbeddedKafkaBroker broker;
    private final String bootstrapServers;

    private KafkaBroker(int port, Path logDir, boolean deleteOnClose) {
        int kafkaPort = port > 0 ? port : freePort();
        broker = new EmbeddedKafkaBroker()
                .withKafkaHost("127.0.0.1")
                .withKafkaPort(kafkaPort)
                .withControllerPort(freePort())
                .withDeleteLogDirsOnClose(deleteOnClose)
                .withAdditionalProperties(props -> {
                    props.put("log.dirs", logDir.toString());
                    props.put("num.partitions", "4");
                    props.put("auto.create.topics.enable", "true");
                    props.put("offsets.topic.replication.factor", "1");
                    props.put("offsets.topic.num.partitions", "4");
                    props.put("transaction.state.log.replication.factor", "1");
                    props.put("transaction.state.log.min.isr", "1");
                    props.put("group.initial.rebalance.delay.ms", "0");
                    props.put("share.coordinator.state.topic.replication.factor", "1");
                    props.put("share.coordinator.state.topic.min.isr", "1");
                });
        long started = System.nanoTime();
        broker.start();
        bootstrapServers = "127.0.0.1:" + kafkaPort;
        LOG.infof("Kafka broker (KRaft) on %s in %d ms, logs in %s", bootstrapServers, (System.nanoTime() - started) / 1_000_000, logDir);
    }

    /** The broker every test in this JVM shares; started on first use, stopped when the JVM exits. */
    public static synchronized KafkaBroker shared() {
        if (shared == null) {
            shared = start(0, tempDir());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "kafka-broker-shutdown"));
        }
        return shared;
    }

    public static KafkaBroker start(int port, Path logDir) {
        return new KafkaBroker(port, logDir, false);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        broker.close();
    }

    /** Runs a broker until killed: {@code KafkaBroker [port] [logDir]}. Prints the bootstrap servers when ready. */
    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 9092;
        Path logDir = args.length > 1 ? Path.of(args[1]) : tempDir();
        try (KafkaBroker broker = start(port, logDir)) {
            System.out.println("kafka.bootstrap.servers=" + broker.bootstrapServers());
            new CountDownLatch(1).await();
        }
    }

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("fleet-kafka-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
