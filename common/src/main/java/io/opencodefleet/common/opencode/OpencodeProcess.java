package io.opencodefleet.common.opencode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.opencodefleet.common.sandbox.Sandbox;
import org.jboss.logging.Logger;

/**
 * One run of {@code opencode serve} on 127.0.0.1 (a port OpenCode picks) with a password, contained in its sandbox:
 * {@link #start} returns once it answers {@code /global/health}; {@link #stop()} ends it and every process it started.
 * A restart is a new run.
 */
final class OpencodeProcess {

    private static final Logger LOG = Logger.getLogger(OpencodeProcess.class);
    private static final Pattern LISTENING = Pattern.compile("listening on (https?://\\S+)");

    private final Process process;
    private final OpencodeEndpoint endpoint;
    private volatile boolean stopping;

    /**
     * Starts every server. bwrap's {@code --die-with-parent} (PR_SET_PDEATHSIG) ends the sandbox when the <em>thread</em>
     * that started it ends, not the JVM: a server started from a short-lived thread (a pool's) was killed the moment
     * that thread finished. This one thread lives as long as the JVM, so a server dies with its service, and only then.
     */
    private static final ExecutorService LAUNCHER = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "opencode-launcher");
        thread.setDaemon(true);
        return thread;
    });

    private OpencodeProcess(Process process, OpencodeEndpoint endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    static OpencodeProcess start(OpencodeServerSettings settings) {
        Path root = settings.stateRoot().toAbsolutePath();
        String password = settings.password() != null ? settings.password() : randomPassword();
        Map<String, String> serverEnvironment = OpencodeConfiguration.environment(settings, password);
        List<String> command = List.of(settings.binary().toString(), "serve", "--hostname", "127.0.0.1", "--port",
                "0", "--print-logs", "--log-level", "WARN");
        Sandbox sandbox = settings.sandbox();
        ProcessBuilder builder;
        if (sandbox == null) {
            builder = new ProcessBuilder(command).directory(root.toFile());
            builder.environment().putAll(serverEnvironment);
            builder.environment().remove("OPENCODE_SERVER_USERNAME");
        } else {
            // Contained: nothing of the caller's environment but what the sandbox lists, only its own directories writable.
            Map<String, String> env = new HashMap<>(sandbox.environment());
            env.putAll(serverEnvironment);
            env.remove("OPENCODE_SERVER_USERNAME");
            env.put("HOME", root.toString());
            sandbox.writable(root).readable(realBinaryDir(settings.binary()));
            for (String file : List.of("OPENCODE_CONFIG", "OPENCODE_MODELS_PATH")) {
                if (env.containsKey(file)) {
                    sandbox.readable(Path.of(env.get(file)));
                }
            }
            builder = new ProcessBuilder(sandbox.wrap(command, root)).directory(root.toFile());
            builder.environment().clear();
            builder.environment().putAll(env);
        }
        long started = System.nanoTime();
        Process launched;
        try {
            launched = LAUNCHER.submit(() -> builder.redirectErrorStream(true).start()).get();
        } catch (ExecutionException e) {
            throw new OpencodeException("cannot run " + settings.binary() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpencodeException("interrupted while starting " + settings.binary(), e);
        }
        CompletableFuture<URI> listening = new CompletableFuture<>();
        Thread output = new Thread(() -> readOutput(launched, listening), "opencode-serve-" + launched.pid());
        output.setDaemon(true);
        output.start();
        OpencodeProcess run;
        try {
            URI uri = listening.get(settings.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
            run = new OpencodeProcess(launched, new OpencodeEndpoint(uri, OpencodeEndpoint.DEFAULT_USERNAME, password));
            run.awaitHealthy(started + settings.startupTimeout().toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroy(launched);
            throw new OpencodeException("interrupted while OpenCode started", e);
        } catch (ExecutionException | TimeoutException e) {
            destroy(launched);
            throw new OpencodeException("opencode serve did not start within " + settings.startupTimeout() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        } catch (RuntimeException e) {
            destroy(launched);
            throw e;
        }
        launched.onExit().thenAccept(exited -> {
            if (!run.stopping) {
                LOG.warnf("opencode serve (pid %d) exited with status %d", exited.pid(), exited.exitValue());
            }
        });
        LOG.infof("opencode serve (pid %d) healthy at %s after %d ms", launched.pid(), run.endpoint.baseUri(),
                (System.nanoTime() - started) / 1_000_000);
        return run;
    }

    OpencodeEndpoint endpoint() {
        return endpoint;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    int exitValue() {
        return process.exitValue();
    }

    /** Resident memory of the server process and its children ({@code VmRSS}), or 0 when unknown. */
    long residentBytes() {
        long total = rssBytes(process.pid());
        for (ProcessHandle child : process.descendants().toList()) {
            total += rssBytes(child.pid());
        }
        return total;
    }

    void stop() {
        stopping = true;
        destroy(process);
    }

    /** A server that just bound its port may accept a request and never answer it: short timeouts, retries. */
    private void awaitHealthy(long deadlineNanos) throws InterruptedException {
        OpencodeClient client = new OpencodeClient(endpoint);
        while (!client.healthy(Duration.ofSeconds(1))) {
            if (System.nanoTime() > deadlineNanos || !process.isAlive()) {
                throw new OpencodeException("opencode serve at " + endpoint.baseUri() + " did not become healthy in time"
                        + (process.isAlive() ? "" : " (it exited with status " + process.exitValue() + ")"));
            }
            Thread.sleep(50);
        }
    }

    /** Finds where it listens, and passes its log on (its pipe must be read, or it blocks). */
    private static void readOutput(Process process, CompletableFuture<URI> listening) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                Matcher matcher = LISTENING.matcher(line);
                if (!listening.isDone() && matcher.find()) {
                    listening.complete(URI.create(matcher.group(1)));
                }
                if (line.contains("level=ERROR")) {
                    LOG.warnf("opencode (pid %d): %s", process.pid(), line); // a 500's "ref" is explained only here
                } else {
                    LOG.debugf("opencode: %s", line);
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        listening.completeExceptionally(new OpencodeException("opencode serve exited"
                + (process.isAlive() ? "" : " with status " + process.exitValue()) + " before it listened"));
    }

    private static void destroy(Process process) {
        List<ProcessHandle> children = new ArrayList<>(process.descendants().toList());
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    /** The directory holding the binary and what it runs (npm's launcher is a link into the package's own dir). */
    private static Path realBinaryDir(Path binary) {
        try {
            Path real = binary.toRealPath();
            // node_modules/opencode-ai/bin/opencode starts node_modules/opencode-linux-*/bin/opencode: make node_modules readable.
            for (Path dir = real; dir != null; dir = dir.getParent()) {
                if (dir.getFileName() != null && dir.getFileName().toString().equals("node_modules")) {
                    return dir;
                }
            }
            return real.getParent();
        } catch (IOException e) {
            return binary.toAbsolutePath().getParent();
        }
    }

    private static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return 0;
    }

    private static String randomPassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
