package io.opencodefleet.common.opencode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A worker's own {@code opencode serve} on 127.0.0.1 (a port OpenCode picks), protected by a random password,
 * with its own XDG data/cache/state/config homes, models fetch and autoupdate off, and permissions that never
 * ask (a headless ask would hang the task). It restarts the process when it died, stops answering
 * {@code /global/health}, or grew past the memory limit: call {@link #ensureHealthy()} between tasks.
 * {@link #attach} uses an existing server instead.
 *
 * <pre>{@code
 * try (OpencodeServer server = OpencodeServer.start(OpencodeServerSettings.of(binary, stateDir))) {
 *     OpencodeClient client = server.client();
 *     OpencodeSession session = client.createSession(workspace, "task 42");
 *     PromptReply reply = client.prompt(session, "anthropic/claude-sonnet-4", prompt);
 * }
 * }</pre>
 */
public final class OpencodeServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OpencodeServer.class);
    private static final Pattern LISTENING = Pattern.compile("listening on (https?://\\S+)");
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    /** The read-only agent that plans a mission: it may read the repository, never change it. */
    public static final String PLANNER_AGENT = "fleet-planner";
    /** The read-only agent that reviews a merged change. */
    public static final String REVIEWER_AGENT = "fleet-reviewer";

    /**
     * Settings every worker server runs with, layered over the user's configuration: permissions that never
     * ask, and two read-only agents whose change tools are not even offered to the model.
     */
    static final String WORKER_CONFIG = """
            {
              "autoupdate": false,
              "share": "disabled",
              "permission": {
                "read": "allow", "edit": "allow", "glob": "allow", "grep": "allow", "list": "allow",
                "bash": "allow", "task": "allow", "todowrite": "allow", "webfetch": "allow",
                "websearch": "allow", "lsp": "allow", "skill": "allow", "doom_loop": "allow",
                "external_directory": "deny", "question": "deny"
              },
              "agent": {
                "fleet-planner": {
                  "description": "Plans a mission from the repository without changing it",
                  "mode": "primary",
                  "permission": {"edit": "deny", "bash": "deny", "task": "deny", "webfetch": "deny"},
                  "tools": {"write": false, "edit": false, "patch": false, "bash": false, "task": false}
                },
                "fleet-reviewer": {
                  "description": "Reviews a merged change against its task without changing it",
                  "mode": "primary",
                  "permission": {"edit": "deny", "bash": "deny", "task": "deny", "webfetch": "deny"},
                  "tools": {"write": false, "edit": false, "patch": false, "bash": false, "task": false}
                }
              }
            }
            """;

    private final OpencodeServerSettings settings;
    private final OpencodeEndpoint external;
    private final OpencodeClient client;
    private final AtomicInteger restarts = new AtomicInteger();
    private volatile Process process;
    private volatile OpencodeEndpoint endpoint;
    private volatile boolean closed;

    private OpencodeServer(OpencodeServerSettings settings, OpencodeEndpoint external) {
        this.settings = settings;
        this.external = external;
        this.endpoint = external;
        this.client = new OpencodeClient(this::endpoint);
    }

    /** Starts a server and waits until it answers {@code /global/health}. */
    public static OpencodeServer start(OpencodeServerSettings settings) {
        OpencodeServer server = new OpencodeServer(settings, null);
        try {
            server.launch();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** Uses a server someone else runs ({@code fleet.opencode.url}); {@link #close()} leaves it running. */
    public static OpencodeServer attach(OpencodeEndpoint endpoint) {
        return new OpencodeServer(null, endpoint);
    }

    /** Where the server answers now (it moves to a new port when it restarts). */
    public OpencodeEndpoint endpoint() {
        OpencodeEndpoint current = endpoint;
        if (current == null) {
            throw new OpencodeException("the OpenCode server is not running");
        }
        return current;
    }

    /** A client that always talks to the current server. */
    public OpencodeClient client() {
        return client;
    }

    /** True for a server this object started (false for {@link #attach}). */
    public boolean managed() {
        return external == null;
    }

    /** How many times the server was restarted. */
    public int restarts() {
        return restarts.get();
    }

    /** The server process's pid, if this object runs one. */
    public Optional<Long> pid() {
        Process current = process;
        return current == null ? Optional.empty() : Optional.of(current.pid());
    }

    /** Resident memory of the server process and its children ({@code VmRSS}), or 0 when unknown. */
    public long residentBytes() {
        Process current = process;
        if (current == null) {
            return 0;
        }
        long total = rssBytes(current.pid());
        for (ProcessHandle child : current.descendants().toList()) {
            total += rssBytes(child.pid());
        }
        return total;
    }

    /**
     * Checks the server and restarts it when its process died, it does not answer {@code /global/health}
     * (twice, two seconds each), or its memory grew past the limit. Call it between tasks: a restart kills the
     * sessions running on it.
     *
     * @return why it restarted, or empty when the server was healthy
     * @throws OpencodeException when an attached server is not healthy, or a restart failed
     */
    public synchronized Optional<String> ensureHealthy() {
        if (closed) {
            throw new OpencodeException("the OpenCode server is closed");
        }
        if (!managed()) {
            if (!client.healthy(HEALTH_TIMEOUT) && !client.healthy(HEALTH_TIMEOUT)) {
                throw new OpencodeException("the OpenCode server at " + external.baseUri() + " is not healthy");
            }
            return Optional.empty();
        }
        String reason = null;
        Process current = process;
        if (current == null || !current.isAlive()) {
            reason = current == null ? "it is not running"
                    : "its process exited with status " + current.exitValue();
        } else if (!client.healthy(HEALTH_TIMEOUT) && !client.healthy(HEALTH_TIMEOUT)) {
            reason = "it does not answer /global/health";
        } else if (settings.maxRssBytes() > 0) {
            long rss = residentBytes();
            if (rss > settings.maxRssBytes()) {
                reason = "its resident memory " + rss / (1024 * 1024) + " MiB exceeds the limit of "
                        + settings.maxRssBytes() / (1024 * 1024) + " MiB";
            }
        }
        if (reason == null) {
            return Optional.empty();
        }
        restart(reason);
        return Optional.of(reason);
    }

    /** Restarts a managed server now. */
    public synchronized void restart(String reason) {
        if (!managed()) {
            throw new IllegalStateException("an attached OpenCode server cannot be restarted");
        }
        LOG.warnf("restarting the OpenCode server because %s", reason);
        stopProcess();
        restarts.incrementAndGet();
        launch();
    }

    /** Stops a managed server and every process it started; an attached server keeps running. */
    @Override
    public synchronized void close() {
        closed = true;
        if (managed()) {
            stopProcess();
        }
    }

    private void launch() {
        Path root = settings.stateRoot().toAbsolutePath();
        String password = settings.password() != null ? settings.password() : randomPassword();
        List<String> command = List.of(settings.binary().toString(), "serve", "--hostname", "127.0.0.1", "--port",
                "0", "--print-logs", "--log-level", "WARN");
        ProcessBuilder builder = new ProcessBuilder(command).directory(prepareDirectories(root).toFile());
        Map<String, String> env = builder.environment();
        configureEnvironment(env, root, password);
        long started = System.nanoTime();
        Process launched;
        try {
            launched = builder.start();
        } catch (IOException e) {
            throw new OpencodeException("cannot run " + settings.binary() + ": " + e.getMessage(), e);
        }
        process = launched;
        endpoint = null;
        CompletableFuture<URI> listening = new CompletableFuture<>();
        Thread stdout = new Thread(() -> readOutput(launched.getInputStream(), listening, false),
                "opencode-serve-out-" + launched.pid());
        Thread stderr = new Thread(() -> readOutput(launched.getErrorStream(), listening, true),
                "opencode-serve-err-" + launched.pid());
        stdout.setDaemon(true);
        stderr.setDaemon(true);
        stdout.start();
        stderr.start();
        launched.onExit().thenAccept(exited -> {
            listening.completeExceptionally(new OpencodeException(
                    "opencode serve exited with status " + exited.exitValue() + " before it listened"));
            if (!closed && process == exited) {
                LOG.warnf("opencode serve (pid %d) exited with status %d", exited.pid(), exited.exitValue());
            }
        });
        long deadline = System.nanoTime() + settings.startupTimeout().toNanos();
        URI uri;
        try {
            uri = listening.get(settings.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopProcess();
            throw new OpencodeException("interrupted while OpenCode started", e);
        } catch (ExecutionException | TimeoutException e) {
            stopProcess();
            throw new OpencodeException("opencode serve did not start within " + settings.startupTimeout() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        endpoint = new OpencodeEndpoint(uri, OpencodeEndpoint.DEFAULT_USERNAME, password);
        // A server that just bound its port may accept a request and never answer it: short timeouts, retries.
        while (!client.healthy(Duration.ofSeconds(1))) {
            if (System.nanoTime() > deadline || !launched.isAlive()) {
                stopProcess();
                throw new OpencodeException("opencode serve at " + uri + " did not become healthy within "
                        + settings.startupTimeout());
            }
            sleep(50);
        }
        LOG.infof("opencode serve (pid %d) healthy at %s after %d ms", launched.pid(), uri,
                (System.nanoTime() - started) / 1_000_000);
    }

    private void configureEnvironment(Map<String, String> env, Path root, String password) {
        Path home = Path.of(System.getProperty("user.home"));
        Path userConfigHome = pathOr(System.getenv("XDG_CONFIG_HOME"), home.resolve(".config"));
        Path userDataHome = pathOr(System.getenv("XDG_DATA_HOME"), home.resolve(".local/share"));
        Path userCacheHome = pathOr(System.getenv("XDG_CACHE_HOME"), home.resolve(".cache"));

        // The user's own config file: a private XDG_CONFIG_HOME hides ~/.config/opencode, so name it.
        Path userConfig = settings.userConfig();
        if (userConfig == null && System.getenv("OPENCODE_CONFIG") == null) {
            for (String name : List.of("opencode.json", "opencode.jsonc", "config.json")) {
                Path candidate = userConfigHome.resolve("opencode").resolve(name);
                if (Files.isRegularFile(candidate)) {
                    userConfig = candidate;
                    break;
                }
            }
        }
        if (userConfig != null) {
            env.put("OPENCODE_CONFIG", userConfig.toAbsolutePath().toString());
        }
        // Credentials from `opencode auth login` live in the data home; the server has its own.
        Path userAuth = userDataHome.resolve("opencode/auth.json");
        Path serverAuth = root.resolve("data/opencode/auth.json");
        if (Files.isRegularFile(userAuth) && !Files.exists(serverAuth)) {
            try {
                Files.createDirectories(serverAuth.getParent());
                Files.copy(userAuth, serverAuth, StandardCopyOption.COPY_ATTRIBUTES);
            } catch (IOException e) {
                LOG.warnf("cannot copy the user's OpenCode credentials: %s", e.getMessage());
            }
        }
        // Models fetch is off: reuse the user's cached models.dev catalogue, if any, so named models resolve.
        Path userModels = userCacheHome.resolve("opencode/models.json");
        if (System.getenv("OPENCODE_MODELS_PATH") == null && Files.isRegularFile(userModels)) {
            env.put("OPENCODE_MODELS_PATH", userModels.toString());
        }
        env.put("XDG_DATA_HOME", root.resolve("data").toString());
        env.put("XDG_CACHE_HOME", root.resolve("cache").toString());
        env.put("XDG_STATE_HOME", root.resolve("state").toString());
        env.put("XDG_CONFIG_HOME", root.resolve("config").toString());
        env.put("OPENCODE_SERVER_PASSWORD", password);
        env.remove("OPENCODE_SERVER_USERNAME");
        env.put("OPENCODE_DISABLE_MODELS_FETCH", "true");
        env.put("OPENCODE_DISABLE_AUTOUPDATE", "true");
        env.put("OPENCODE_DISABLE_LSP_DOWNLOAD", "true");
        env.put("OPENCODE_DISABLE_SHARE", "true");
        env.put("OPENCODE_CONFIG_CONTENT", configContent(System.getenv("OPENCODE_CONFIG_CONTENT")));
        env.putAll(settings.environment());
    }

    /** The user's inline config, then the settings' config, then the worker's settings, merged in that order. */
    String configContent(String userInline) {
        ObjectNode merged = OpencodeClient.JSON.createObjectNode();
        try {
            if (userInline != null && !userInline.isBlank()) {
                merge(merged, OpencodeClient.JSON.readTree(userInline));
            }
            if (settings.configContent() != null && !settings.configContent().isBlank()) {
                merge(merged, OpencodeClient.JSON.readTree(settings.configContent()));
            }
            merge(merged, OpencodeClient.JSON.readTree(WORKER_CONFIG));
        } catch (IOException e) {
            throw new IllegalArgumentException("OpenCode configuration is not JSON: " + e.getMessage(), e);
        }
        return merged.toString();
    }

    private static void merge(ObjectNode target, JsonNode source) {
        if (!source.isObject()) {
            throw new IllegalArgumentException("OpenCode configuration must be a JSON object");
        }
        Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode existing = target.get(field.getKey());
            if (existing instanceof ObjectNode existingObject && field.getValue().isObject()) {
                merge(existingObject, field.getValue());
            } else {
                target.set(field.getKey(), field.getValue().deepCopy());
            }
        }
    }

    private void readOutput(InputStream stream, CompletableFuture<URI> listening, boolean errors) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                Matcher matcher = LISTENING.matcher(line);
                if (!listening.isDone() && matcher.find()) {
                    listening.complete(URI.create(matcher.group(1)));
                }
                if (errors) {
                    LOG.debugf("opencode: %s", line);
                } else {
                    LOG.tracef("opencode: %s", line);
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    private void stopProcess() {
        Process current = process;
        process = null;
        endpoint = external;
        if (current == null) {
            return;
        }
        List<ProcessHandle> children = new ArrayList<>(current.descendants().toList());
        current.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!current.waitFor(5, TimeUnit.SECONDS)) {
                current.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            current.destroyForcibly();
        }
        for (ProcessHandle child : children) {
            if (child.isAlive()) {
                child.destroyForcibly();
            }
        }
    }

    private static Path prepareDirectories(Path root) {
        try {
            for (String name : List.of("data", "cache", "state", "config")) {
                Files.createDirectories(root.resolve(name));
            }
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create OpenCode's directories under " + root, e);
        }
    }

    private static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] fields = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(fields[0]) * 1024;
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

    private static Path pathOr(String value, Path fallback) {
        return value == null || value.isBlank() ? fallback : Path.of(value);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpencodeException("interrupted while OpenCode started", e);
        }
    }

    @Override
    public String toString() {
        return "OpencodeServer[" + (managed() ? "managed" : "attached") + ", " + endpoint + "]";
    }
}
