package io.opencodefleet.cli.stack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * PostgreSQL from Maven Central binaries for a machine without a server, run as its own process by {@code up}:
 * {@code EmbeddedPostgresServer <port> <dataDir>}. The data directory survives restarts; stopping this process
 * (SIGTERM) stops PostgreSQL.
 */
public final class EmbeddedPostgresServer {

    static final String READY = "embedded PostgreSQL ready";

    private EmbeddedPostgresServer() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = Integer.parseInt(args[0]);
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(Path.of(args[1]))
                .setCleanDataDirectory(false)
                .start();
        System.out.println(READY + " on 127.0.0.1:" + postgres.getPort());
        System.out.flush();
        // zonky's shutdown hook stops the server when this process is stopped.
        new CountDownLatch(1).await();
    }
}
