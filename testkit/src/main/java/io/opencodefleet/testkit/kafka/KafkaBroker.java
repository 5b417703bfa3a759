package io.opencodefleet.testkit.kafka;

import io.opencodefleet.devstack.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The tests' Kafka broker: devstack's real broker (KRaft, broker + controller) in this JVM, its data in a
 * temporary directory. One per JVM is shared by every test class ({@link #shared()}).
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KafkaBroker.class);
    private static KafkaBroker shared;

    private final io.opencodefleet.devstack.kafka.KafkaBroker broker;
    private final Path dataDir;
    private final boolean deleteOnClose;

    private KafkaBroker(int port, Path dataDir, boolean deleteOnClose) {
        long started = System.nanoTime();
        this.broker = io.opencodefleet.devstack.kafka.KafkaBroker.start(dataDir, port);
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        LOG.infof("Kafka broker (KRaft) on %s in %d ms, data in %s", broker.bootstrapServers(),
                (System.nanoTime() - started) / 1_000_000, dataDir);
    }

    /** The broker every test in this JVM shares; started on first use, stopped (and its data deleted) when the JVM exits. */
    public static synchronized KafkaBroker shared() {
        if (shared == null) {
            shared = new KafkaBroker(0, tempDir(), true);
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "kafka-broker-shutdown"));
        }
        return shared;
    }

    /** A broker of the caller's own on {@code port} (0 = a free one), data in {@code dataDir} (kept). */
    public static KafkaBroker start(int port, Path dataDir) {
        return new KafkaBroker(port, dataDir, false);
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** devstack's broker underneath. */
    public io.opencodefleet.devstack.kafka.KafkaBroker broker() {
        return broker;
    }

    @Override
    public void close() {
        broker.close();
        if (deleteOnClose) {
            try (Stream<Path> paths = Files.walk(dataDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                LOG.debugf("could not delete %s: %s", dataDir, e.getMessage());
            }
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("fleet-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int freePort() {
        return Ports.freePort();
    }
}
