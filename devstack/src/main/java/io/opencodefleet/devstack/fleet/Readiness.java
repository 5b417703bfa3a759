package io.opencodefleet.devstack.fleet;

import io.opencodefleet.devstack.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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

    /**
     * Until {@code <managementUrl>/q/health/ready} answers 200 (Quarkus: Kafka, database and channels are up). A
     * service's health answers on its management port only.
     */
    static void awaitHealthy(String name, ProcessHandle process, URI managementUrl, Path log, Duration timeout) {
        await(name, process, log, timeout, () -> httpOk(readyUrl(managementUrl)));
    }

    /** {@code /q/health/ready} of a service's management URL. */
    public static URI readyUrl(URI managementUrl) {
        return managementUrl.resolve("/q/health/ready");
    }

    /** Until the process's log holds {@code line} after {@code fromOffset} (what devstack's mains print once they serve). */
    static void awaitLogLine(String name, ProcessHandle process, Path log, String line, long fromOffset, Duration timeout) {
        await(name, process, log, timeout, () -> logContains(log, line, fromOffset));
    }

    private static boolean logContains(Path log, String line, long fromOffset) {
        if (!Files.exists(log)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(log)) {
            in.skipNBytes(Math.min(fromOffset, Files.size(log)));
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains(line);
        } catch (IOException e) {
            return false;
        }
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
        return Ports.listening(port);
    }

    private static void await(String name, ProcessHandle process, Path log, Duration timeout, BooleanSupplier ready) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new LocalFleetException(name + " exited while starting; the end of " + log + ":\n" + tail(log));
            }
            if (System.nanoTime() > deadline) {
                throw new LocalFleetException(name + " was not ready within " + timeout.toSeconds()
                        + " s; the end of " + log + ":\n" + tail(log));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LocalFleetException("interrupted while waiting for " + name);
            }
        }
    }

    /** The last 25 lines of a log. */
    public static String tail(Path log) {
        return tail(log, 25);
    }

    public static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(no log)";
        }
    }
}
