package io.opencodefleet.devstack.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Git credentials the way a deployment mounts them: a {@code git-credential-store} file (mode 600, in a directory
 * only its owner reads) and a git configuration whose {@code credential.helper} reads it. A service started with
 * {@link #environment()} ({@code GIT_CONFIG_GLOBAL}) has its git (which inherits the service's environment) answer
 * a server's {@code 401} from that file; the URL in a mission stays without credentials, and the agents, whose
 * environment is cleared, never see the variable or the file.
 */
public final class GitCredentials {

    private final Path config;
    private final Path store;

    private GitCredentials(Path config, Path store) {
        this.config = config;
        this.store = store;
    }

    /**
     * Writes {@code dir/credentials} (the line git's store helper reads: {@code http://user:password@host:port}) and
     * {@code dir/gitconfig} ({@code credential.helper = store --file=<credentials>}) for the server at {@code baseUrl}.
     */
    public static GitCredentials write(Path dir, String baseUrl, String user, String password) {
        URI server = URI.create(baseUrl);
        String line = server.getScheme() + "://" + encode(user) + ":" + encode(password) + "@" + server.getHost()
                + (server.getPort() > 0 ? ":" + server.getPort() : "") + "\n";
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Path store = writePrivate(dir.resolve("credentials"), line);
            Path config = writePrivate(dir.resolve("gitconfig"), """
                    # The fleet's git credentials (a local fleet's git server): git's store helper, never a URL.
                    [credential]
                    \thelper = store --file=%s
                    """.formatted(store.toAbsolutePath()));
            return new GitCredentials(config.toAbsolutePath(), store.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The git configuration naming the helper. */
    public Path config() {
        return config;
    }

    /** The credential store file. */
    public Path store() {
        return store;
    }

    /** What a service's environment needs so its git finds the credentials: {@code GIT_CONFIG_GLOBAL}. */
    public Map<String, String> environment() {
        return Map.of("GIT_CONFIG_GLOBAL", config.toString());
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static Path writePrivate(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return Files.writeString(file, text);
    }
}
