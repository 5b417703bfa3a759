package io.opencodefleet.devstack.git;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A git server over smart HTTP: {@code git http-backend} (shipped with git) run as a CGI for the bare repositories
 * under a root directory ({@code http://<host>:<port>/<name>.git}), behind HTTP Basic authentication with one user
 * and password. Clone, fetch and push work as against any git host; a request without the right credentials gets
 * {@code 401} with {@code WWW-Authenticate}, so git asks its credential helper. The multi-host tests run it on the
 * infrastructure host; the workers and the reviewer get the credentials from a credential helper
 * ({@link GitCredentials}), never in the URL.
 *
 * <p>In this JVM: {@link #start}; as its own process: {@link #main} ({@code GitHttpServer [--host=<address>] <root>
 * <port>}, user and password in {@value #USER_ENV} and {@value #PASSWORD_ENV}, so not on the command line), which
 * prints {@value #READY}{@code <base URL>} once it serves.
 */
public final class GitHttpServer implements AutoCloseable {

    /** What {@link #main} prints, followed by the base URL, once it serves. */
    public static final String READY = "git http server listening on ";
    public static final String USER_ENV = "FLEET_GIT_USER";
    public static final String PASSWORD_ENV = "FLEET_GIT_PASSWORD";
    public static final String HOST_OPTION = "--host=";
    private static final String REALM = "fleet git";

    private final Path root;
    private final String user;
    private final byte[] expectedAuthorization;
    private final HttpServer server;
    private final ExecutorService executor;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();

    private GitHttpServer(Path root, InetAddress address, int port, String user, String password) throws IOException {
        if (user == null || user.isEmpty() || user.contains(":") || password == null || password.isEmpty()) {
            throw new IllegalArgumentException("a user (without ':') and a password are required");
        }
        this.root = root.toAbsolutePath().normalize();
        this.user = user;
        this.expectedAuthorization = ("Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)))
                .getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(this.root);
        this.server = HttpServer.create(new InetSocketAddress(address, port), 64);
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "git-http-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves the repositories under {@code root} on {@code host:port} (0 = a free port) to {@code user} with {@code password}. */
    public static GitHttpServer start(Path root, String host, int port, String user, String password) {
        try {
            return new GitHttpServer(root, InetAddress.getByName(host), port, user, password);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the git server on " + host + ":" + port, e);
        }
    }

    public Path root() {
        return root;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String host() {
        return server.getAddress().getAddress().getHostAddress();
    }

    /** {@code http://<host>:<port>/}. */
    public String baseUrl() {
        return baseUrl(host(), port());
    }

    public static String baseUrl(String host, int port) {
        return "http://" + host + ":" + port + "/";
    }

    /** {@code http://<host>:<port>/<name>.git}: no credentials in it. */
    public String url(String name) {
        return repositoryUrl(baseUrl(), name);
    }

    public static String repositoryUrl(String baseUrl, String name) {
        return baseUrl + name + ".git";
    }

    /** Requests served, and those refused for want of the right credentials. */
    public long requests() {
        return requests.get();
    }

    public long refused() {
        return refused.get();
    }

    /** A new bare repository {@code <root>/<name>.git} holding one commit on main with {@code files}. */
    public static LocalRepository createRepository(Path root, String name, Map<String, String> files) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*") || name.contains("..")) {
            throw new IllegalArgumentException("repository name '" + name + "': letters, digits, '.', '_' and '-'");
        }
        return LocalRepository.create(root.resolve(name + ".git"), root.resolve(".work").resolve(name), files);
    }

    @Override
    public void close() {
        if (closed.getCount() == 0) {
            return;
        }
        closed.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            requests.incrementAndGet();
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization == null || !MessageDigest.isEqual(expectedAuthorization, authorization.getBytes(StandardCharsets.UTF_8))) {
                refused.incrementAndGet();
                exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
                byte[] body = "authentication required\n".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
                exchange.getResponseHeaders().add("Content-Type", "text/plain");
                exchange.sendResponseHeaders(401, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            String path = exchange.getRequestURI().getPath();
            if (path == null || path.contains("..") || path.contains("\\")) {
                exchange.sendResponseHeaders(400, -1);
                return;
            }
            cgi(exchange, path);
        } catch (IOException e) {
            // the client went away
        } catch (RuntimeException e) {
            System.err.println("git http server: " + e);
        }
    }

    /** Runs {@code git http-backend} for one request: the request body in, the CGI headers parsed out, the rest streamed. */
    private void cgi(HttpExchange exchange, String path) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(List.of("git", "http-backend"));
        Map<String, String> env = builder.environment();
        String systemPath = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.clear();
        env.put("PATH", systemPath);
        env.put("HOME", root.toString()); // no user's ~/.gitconfig
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_PROJECT_ROOT", root.toString());
        env.put("GIT_HTTP_EXPORT_ALL", "1");
        env.put("GATEWAY_INTERFACE", "CGI/1.1");
        env.put("SERVER_PROTOCOL", "HTTP/1.1");
        env.put("REQUEST_METHOD", exchange.getRequestMethod());
        env.put("PATH_INFO", path);
        env.put("QUERY_STRING", exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery());
        env.put("REMOTE_USER", user); // also enables receive-pack (push) for the authenticated user
        env.put("REMOTE_ADDR", exchange.getRemoteAddress().getAddress().getHostAddress());
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType != null) {
            env.put("CONTENT_TYPE", contentType);
        }
        String contentLength = exchange.getRequestHeaders().getFirst("Content-Length");
        if (contentLength != null) {
            env.put("CONTENT_LENGTH", contentLength);
        }
        for (String header : List.of("Content-Encoding", "Git-Protocol", "Accept", "User-Agent")) {
            String value = exchange.getRequestHeaders().getFirst(header);
            if (value != null) {
                env.put("HTTP_" + header.toUpperCase(java.util.Locale.ROOT).replace('-', '_'), value);
            }
        }
        Process process = builder.start();
        Future<?> input = executor.submit(() -> {
            try (InputStream in = exchange.getRequestBody(); OutputStream out = process.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // the backend stopped reading (it answers an error) or the client went away
            }
        });
        Future<String> errors = executor.submit(() -> new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        try (InputStream out = new BufferedInputStream(process.getInputStream())) {
            int status = 200;
            for (String line : readHeaders(out)) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = line.substring(0, colon).strip();
                String value = line.substring(colon + 1).strip();
                if (name.equalsIgnoreCase("Status")) {
                    status = Integer.parseInt(value.split("\\s+")[0]);
                } else {
                    exchange.getResponseHeaders().add(name, value);
                }
            }
            byte[] first = out.readNBytes(1);
            if (first.length == 0 || status == 204 || status == 304) {
                exchange.sendResponseHeaders(status, -1);
            } else {
                exchange.sendResponseHeaders(status, 0);
                OutputStream body = exchange.getResponseBody();
                body.write(first);
                out.transferTo(body);
                body.flush();
            }
        } finally {
            try {
                if (!process.waitFor(10, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                }
                input.get(10, TimeUnit.SECONDS);
                String stderr = errors.get(10, TimeUnit.SECONDS);
                if (!stderr.isBlank()) {
                    System.err.println("git http-backend " + exchange.getRequestMethod() + " " + path + ": " + stderr.strip());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                process.destroyForcibly();
            }
        }
    }

    /** The CGI response's header lines, up to the empty line (CRLF or LF). */
    private static List<String> readHeaders(InputStream in) throws IOException {
        List<String> lines = new java.util.ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                if (text.endsWith("\r")) {
                    text = text.substring(0, text.length() - 1);
                }
                if (text.isEmpty()) {
                    return lines;
                }
                lines.add(text);
                line.reset();
            } else {
                line.write(b);
                if (line.size() > 16_384) {
                    throw new IOException("CGI header line too long");
                }
            }
        }
        return lines;
    }

    /**
     * Serves until this process is stopped: {@code GitHttpServer [--host=<address>] <root> <port>}, with the user
     * and password in {@value #USER_ENV} and {@value #PASSWORD_ENV}.
     */
    public static void main(String[] options) throws InterruptedException {
        String host = "127.0.0.1";
        List<String> positional = new java.util.ArrayList<>();
        for (String option : options) {
            if (option.startsWith(HOST_OPTION)) {
                host = option.substring(HOST_OPTION.length());
            } else {
                positional.add(option);
            }
        }
        if (positional.size() != 2) {
            System.err.println("usage: GitHttpServer [--host=<address>] <root> <port>  (user and password in "
                    + USER_ENV + ", " + PASSWORD_ENV + ")");
            System.exit(2);
        }
        GitHttpServer server = start(Path.of(positional.get(0)), host, Integer.parseInt(positional.get(1)),
                System.getenv(USER_ENV), System.getenv(PASSWORD_ENV));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "git-http-shutdown"));
        System.out.println(READY + server.baseUrl() + " (repositories in " + server.root() + ")");
        System.out.flush();
        server.closed.await();
    }
}
