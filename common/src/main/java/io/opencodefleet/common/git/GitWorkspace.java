package io.opencodefleet.common.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A working tree driven through the git command line (the same git a person would use, with their
 * credential helpers and SSH config). Every command runs non-interactively with the fleet's identity.
 */
public final class GitWorkspace {

    private static final long TIMEOUT_MINUTES = 10;

    private final Path dir;

    private GitWorkspace(Path dir) {
        this.dir = dir;
    }

    public static GitWorkspace at(Path dir) {
        return new GitWorkspace(dir);
    }

    /** Clones {@code url} into {@code dir} (which must not exist or be empty). */
    public static GitWorkspace clone(String url, Path dir) {
        run(dir.getParent(), "clone", "--quiet", "--no-tags", url, dir.toString());
        return new GitWorkspace(dir);
    }

    /** Removes a working tree (or any directory) from disk; nothing happens when it does not exist. */
    public static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** Runs {@code git args...} here and returns its trimmed standard output; throws {@link GitException} on failure. */
    public String git(String... args) {
        return run(dir, args);
    }

    /** Runs git and returns its exit code instead of throwing; for questions such as "is this an ancestor". */
    public int status(String... args) {
        return exec(dir, args).exitCode();
    }

    public boolean remoteBranchExists(String branch) {
        return !git("ls-remote", "--heads", "origin", "refs/heads/" + branch).isBlank();
    }

    /** Fetches {@code branch} from origin into {@code refs/remotes/origin/branch}. */
    public void fetch(String branch) {
        git("fetch", "--quiet", "--no-tags", "origin", "+refs/heads/" + branch + ":refs/remotes/origin/" + branch);
    }

    public String head() {
        return git("rev-parse", "HEAD");
    }

    public String resolve(String ref) {
        return git("rev-parse", "--verify", "--quiet", ref + "^{commit}");
    }

    public boolean isAncestor(String commit, String of) {
        return status("merge-base", "--is-ancestor", commit, of) == 0;
    }

    /** Stages everything and commits with the fleet trailers; returns the commit, or null when nothing changed. */
    public String commitAll(String message, String trailers) {
        git("add", "--all");
        if (status("diff", "--cached", "--quiet") == 0) {
            return null;
        }
        git("commit", "--quiet", "--no-verify", "-m", message + "\n\n" + trailers);
        return head();
    }

    public List<String> changedFiles(String from, String to) {
        String out = git("diff", "--name-only", from, to);
        return out.isBlank() ? List.of() : List.of(out.split("\n"));
    }

    public List<String> conflictedFiles() {
        String out = git("diff", "--name-only", "--diff-filter=U");
        return out.isBlank() ? List.of() : List.of(out.split("\n"));
    }

    /** Pushes without force; returns false when the remote rejected it because the branch moved. */
    public boolean push(String localRef, String remoteBranch) {
        Result result = exec(dir, "push", "--quiet", "--porcelain", "origin", localRef + ":refs/heads/" + remoteBranch);
        if (result.exitCode() == 0) {
            return true;
        }
        if (result.output().contains("[rejected]") || result.output().contains("non-fast-forward") || result.output().contains("fetch first")) {
            return false;
        }
        throw new GitException("push origin " + localRef + ":" + remoteBranch, result.exitCode(), result.output());
    }

    /** The git executable's identity and settings for non-interactive use. */
    static Map<String, String> environment() {
        return Map.of(
                "GIT_TERMINAL_PROMPT", "0",
                "GIT_AUTHOR_NAME", System.getenv().getOrDefault("FLEET_GIT_NAME", "OpenCode Fleet"),
                "GIT_AUTHOR_EMAIL", System.getenv().getOrDefault("FLEET_GIT_EMAIL", "fleet@localhost"),
                "GIT_COMMITTER_NAME", System.getenv().getOrDefault("FLEET_GIT_NAME", "OpenCode Fleet"),
                "GIT_COMMITTER_EMAIL", System.getenv().getOrDefault("FLEET_GIT_EMAIL", "fleet@localhost"));
    }

    private static String run(Path dir, String... args) {
        Result result = exec(dir, args);
        if (result.exitCode() != 0) {
            throw new GitException(String.join(" ", args), result.exitCode(), result.output());
        }
        return result.output().strip();
    }

    private record Result(int exitCode, String output) {
    }

    private static Result exec(Path dir, String... args) {
        List<String> command = new ArrayList<>(args.length + 1);
        command.add("git");
        command.addAll(Arrays.asList(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment());
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new GitException(String.join(" ", args), -1, "timed out");
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GitException(String.join(" ", args), -1, "interrupted");
        }
    }
}
