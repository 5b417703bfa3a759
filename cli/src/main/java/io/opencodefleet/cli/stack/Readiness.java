package io.opencodefleet.cli.stack;

import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Waits for a started process to be ready, and fails with its log's tail when it dies or takes too long. */
public final class Readiness {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private Readiness() {
    }

    /** Until {@code <url>/q/health/ready} answers 200 (Quarkus: Kafka, database and channels are up). */
    static void awaitHealthy(String name, ProcessHandle process, URI url, Path log, Duration timeout) {
        await(name, process, log, timeout, () -> httpOk(url.resolve("/q/health/ready")));
    }

    /** Until the process's log holds {@code line} (what testkit's mains print once they serve). */
    static void awaitLogLine(String name, ProcessHandle process, Path log, String line, Duration timeout) {
        await(name, process, log, timeout, () -> {
            try {
                return Files.exists(log) && Files.readString(log).contains(line);
            } catch (IOException e) {
                return false;
            }
        });
    }

    public static boolean httpOk(URI url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void await(String name, ProcessHandle process, Path log, Duration timeout, BooleanSupplier ready) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new CommandFailure(ExitCode.LOCAL_FLEET, name + " exited while starting; the end of " + log + ":\n" + tail(log));
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure(ExitCode.LOCAL_FLEET, name + " was not ready within " + timeout.toSeconds()
                        + " s; the end of " + log + ":\n" + tail(log));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailure(ExitCode.LOCAL_FLEET, "interrupted while waiting for " + name);
            }
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
