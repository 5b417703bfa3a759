package io.opencodefleet.devstack.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * PostgreSQL from Maven Central binaries for a machine without a server, run as its own process by a local fleet:
 * {@code EmbeddedPostgresServer <port> <dataDir>}. The data directory survives restarts; stopping this process
 * (SIGTERM) stops PostgreSQL.
 *
 * <p>PostgreSQL's postmaster is not a child of this process ({@code pg_ctl} detaches it): when this process is
 * killed, the postmaster lives on. {@link #postmaster(Path)} finds it, so whoever kills this process can kill it
 * too, and the next start stops such an orphan before it starts its own.
 */
public final class EmbeddedPostgresServer {

    public static final String READY = "embedded PostgreSQL ready";

    private EmbeddedPostgresServer() {
    }

    /** {@link #main}'s option: also listen on this address of this machine (besides 127.0.0.1). */
    public static final String LISTEN_OPTION = "--listen=";
    /** {@link #main}'s option: clients from this network (CIDR) connect without a password, as those on loopback do. */
    public static final String TRUST_OPTION = "--trust=";

    /**
     * {@code EmbeddedPostgresServer [--listen=<address>] [--trust=<cidr>] <port> <dataDir>}: PostgreSQL on
     * 127.0.0.1 (and the address), user postgres without a password from loopback (and the network).
     */
    public static void main(String[] options) throws IOException, InterruptedException {
        String listen = null;
        String trust = null;
        List<String> positional = new java.util.ArrayList<>();
        for (String option : options) {
            if (option.startsWith(LISTEN_OPTION)) {
                listen = option.substring(LISTEN_OPTION.length());
            } else if (option.startsWith(TRUST_OPTION)) {
                trust = option.substring(TRUST_OPTION.length());
            } else {
                positional.add(option);
            }
        }
        String[] args = positional.toArray(String[]::new);
        int port = Integer.parseInt(args[0]);
        Path dataDir = Path.of(args[1]).toAbsolutePath();
        // Held while this process lives: a postmaster running on the directory without it is an orphan.
        FileLock lock = lock(dataDir);
        postmaster(dataDir).ifPresent(orphan -> {
            System.out.println("stopping the PostgreSQL (pid " + orphan.pid() + ") left running on " + dataDir
                    + " by an earlier process that was killed");
            killTree(orphan);
        });
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false);
        if (listen != null) {
            builder.setServerConfig("listen_addresses", "127.0.0.1," + listen);
        }
        if (trust != null) {
            Path hba = dataDir.resolveSibling(dataDir.getFileName() + ".hba.conf");
            Files.writeString(hba, """
                    local all all trust
                    host all all 127.0.0.1/32 trust
                    host all all ::1/128 trust
                    host all all %s trust
                    """.formatted(trust));
            builder.setServerConfig("hba_file", hba.toString());
        }
        EmbeddedPostgres postgres = builder.start();
        System.out.println(READY + " on 127.0.0.1" + (listen != null ? " and " + listen : "") + ":" + postgres.getPort());
        System.out.flush();
        // zonky's shutdown hook stops the server when this process is stopped.
        new CountDownLatch(1).await();
        lock.release();
    }

    /** The postmaster running on {@code dataDir}, from its {@code postmaster.pid}, if it runs. */
    public static Optional<ProcessHandle> postmaster(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        try {
            if (!Files.isRegularFile(pidFile)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.isEmpty() || lines.get(0).isBlank()) {
                return Optional.empty();
            }
            return ProcessHandle.of(Long.parseLong(lines.get(0).strip()))
                    .filter(ProcessHandle::isAlive)
                    .filter(handle -> handle.info().command().map(command -> command.endsWith("postgres")).orElse(true));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** SIGKILL for the postmaster and its backends; PostgreSQL recovers on the next start. */
    public static void killTree(ProcessHandle postmaster) {
        List<ProcessHandle> all = Stream.concat(Stream.of(postmaster), postmaster.descendants()).toList();
        all.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (all.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static FileLock lock(Path dataDir) throws IOException {
        Files.createDirectories(dataDir.getParent());
        Path lockFile = dataDir.resolveSibling(dataDir.getFileName() + ".lock");
        FileLock lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE).tryLock();
        if (lock == null) {
            System.err.println("another embedded PostgreSQL is using " + dataDir);
            System.exit(1);
        }
        return lock;
    }
}
