package io.opencodefleet.devstack.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A real bare git repository on this machine ("the remote" a local fleet clones and pushes to, as a
 * {@code file://} URL), seeded with files on {@code main}, plus a working clone to make commits on branches and to
 * read what the fleet pushed. The demo's sample project and the tests use it.
 */
public final class LocalRepository {

    private final Path bare;
    private final Path work;

    private LocalRepository(Path bare, Path work) {
        this.bare = bare.toAbsolutePath().normalize();
        this.work = work.toAbsolutePath().normalize();
    }

    /** Creates {@code root/origin.git} holding one commit on main with {@code files}. */
    public static LocalRepository create(Path root, Map<String, String> files) {
        return create(root.resolve("origin.git"), root.resolve("work"), files);
    }

    /**
     * Creates the bare repository {@code bare} holding one commit on main with {@code files}, and its working clone
     * {@code work} (e.g. a repository a {@link GitHttpServer} serves).
     */
    public static LocalRepository create(Path bare, Path work, Map<String, String> files) {
        LocalRepository repo = new LocalRepository(bare, work);
        try {
            Files.createDirectories(repo.bare);
            Files.createDirectories(repo.work.getParent());
            git(repo.bare, "init", "--quiet", "--bare", "--initial-branch=main");
            git(repo.work.getParent(), "clone", "--quiet", repo.bare.toString(), repo.work.toString());
            repo.writeFiles(files);
            repo.git("add", "--all");
            repo.git("commit", "--quiet", "-m", "Initial project");
            repo.git("push", "--quiet", "origin", "HEAD:refs/heads/main");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return repo;
    }

    public String url() {
        return bare.toUri().toString();
    }

    public Path bareDir() {
        return bare;
    }

    /** Commits {@code files} on a new branch started at {@code from} and pushes it; returns the commit. */
    public String commitOnBranch(String branch, String from, Map<String, String> files, String message) {
        git("fetch", "--quiet", "origin");
        git("checkout", "--quiet", "--force", "-B", branch, "origin/" + from);
        writeFiles(files);
        git("add", "--all");
        git("commit", "--quiet", "-m", message);
        git("push", "--quiet", "--force", "origin", "HEAD:refs/heads/" + branch);
        return git("rev-parse", "HEAD");
    }

    /** The content of {@code path} at the tip of {@code branch} on the remote, or null if absent. */
    public String read(String branch, String path) {
        try {
            return git(bare, "show", branch + ":" + path);
        } catch (IllegalStateException e) {
            return null;
        }
    }

    public boolean hasBranch(String branch) {
        return !git(bare, "branch", "--list", branch).isBlank();
    }

    /** Lines of {@code git log} on the remote's {@code branch} with the given format, newest first. */
    public List<String> log(String branch, String format, String... options) {
        List<String> args = new ArrayList<>(List.of("log", "--format=" + format));
        args.addAll(Arrays.asList(options));
        args.add(branch);
        String out = git(bare, args.toArray(String[]::new));
        return out.isBlank() ? List.of() : List.of(out.split("\n"));
    }

    public String git(String... args) {
        return git(work, args);
    }

    private void writeFiles(Map<String, String> files) {
        try {
            for (Map.Entry<String, String> file : files.entrySet()) {
                Path path = work.resolve(file.getKey());
                Files.createDirectories(path.getParent());
                Files.writeString(path, file.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String git(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of("git", "-c", "user.name=Fleet Local", "-c", "user.email=fleet@localhost"));
        command.addAll(Arrays.asList(args));
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException("git " + String.join(" ", args) + " failed: " + out);
            }
            return out.strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
