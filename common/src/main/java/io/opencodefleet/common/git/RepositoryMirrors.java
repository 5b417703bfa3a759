package io.opencodefleet.common.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * One bare mirror per repository on this host, which new clones borrow objects from: a repository crosses the
 * network whole once per worker or reviewer, and after that each clone fetches only what is new. Clones copy the
 * borrowed objects in ({@code --dissociate}), so a sandboxed agent or check that sees only its own tree still has
 * a complete repository, and removing a mirror never breaks a clone. A mirror that cannot be made or updated is
 * only a lost optimisation: the clone then goes to the remote for everything.
 */
public final class RepositoryMirrors {

    private static final Logger LOG = Logger.getLogger(RepositoryMirrors.class);
    /** A mirror being made: cloned aside under this prefix, then moved to its name. */
    private static final String PARTIAL = ".partial-";

    private final Path root;
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

    /** The mirrors under {@code root}, a directory of this process's own; half-made ones a killed process left are removed. */
    public RepositoryMirrors(Path root) {
        this.root = root.toAbsolutePath().normalize();
        removeHalfMade();
    }

    private void removeHalfMade() {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> children = Files.list(root)) {
            children.filter(child -> child.getFileName().toString().startsWith(PARTIAL)).forEach(GitWorkspace::delete);
        } catch (IOException | UncheckedIOException e) {
            LOG.warnf("Could not remove the half-made mirrors under %s: %s", root, e.getMessage());
        }
    }

    /** Clones {@code branch} of {@code url} into {@code dir}, borrowing from the repository's mirror (made or updated first). */
    public GitWorkspace clone(String url, String branch, Path dir) {
        return GitWorkspace.clone(url, branch, dir, updated(url, branch));
    }

    /** The mirror of {@code url} with {@code branch} up to date, or null when it could not be made. */
    Path updated(String url, String branch) {
        Path mirror = root.resolve(nameOf(url));
        synchronized (locks.computeIfAbsent(url, key -> new Object())) {
            try {
                if (Files.isDirectory(mirror)) {
                    try {
                        GitWorkspace.at(mirror).updateMirror(branch);
                        return mirror;
                    } catch (GitException e) {
                        if (e.remote()) {
                            throw e; // the remote's trouble: the mirror is fine, the clone will say why it failed
                        }
                        LOG.warnf("The mirror of %s is broken (%s); making it again", url, e.getMessage());
                        GitWorkspace.delete(mirror);
                    }
                }
                // Made aside and moved in whole: a process killed mid-clone leaves no half mirror under the name.
                Path partial = root.resolve(PARTIAL + UUID.randomUUID());
                try {
                    GitWorkspace.mirror(url, partial);
                    Files.move(partial, mirror, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    GitWorkspace.delete(partial);
                }
                return mirror;
            } catch (GitException | UncheckedIOException | IOException e) {
                LOG.warnf("No mirror of %s (%s); cloning without one", url, e.getMessage());
                return null;
            }
        }
    }

    /** A directory name per URL that no URL can steer out of the root. */
    static String nameOf(String url) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(url.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12) + ".git";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
