package io.opencodefleet.common.git;

import io.opencodefleet.common.process.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A working tree driven through the git command line (the same git a person would use, with their credential
 * helpers and SSH config), named by what the fleet does with it: check out clean, merge with an outcome, find a
 * task's merge, commit an attempt, push without force. Every command runs non-interactively, with the fleet's
 * identity, within a timeout (network commands also give up on a stalled transfer), and with hooks and
 * fsmonitor off: a repository's content never runs code in the fleet's git.
 */
public final class GitWorkspace {

    /** How long a command that talks to the remote may take. */
    public static final Duration NETWORK_TIMEOUT = Duration.ofMinutes(10);
    /** How long a local command may take. */
    public static final Duration LOCAL_TIMEOUT = Duration.ofMinutes(5);
    /** Settings on every command: no hooks, no fsmonitor, no prompts, nothing from the repository runs. */
    private static final List<String> SAFE = List.of("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
            "-c", "protocol.ext.allow=never", "-c", "submodule.recurse=false", "-c", "core.askPass=");

    private final Path dir;
    private final Map<String, String> environment;

    private GitWorkspace(Path dir, Map<String, String> environment) {
        this.dir = dir;
        this.environment = environment;
    }

    public static GitWorkspace at(Path dir) {
        return new GitWorkspace(dir, GitIdentity.environment());
    }

    /** Clones {@code url} into {@code dir} (which must not exist or be empty). */
    public static GitWorkspace clone(String url, Path dir) {
        inParentOf(dir).run(NETWORK_TIMEOUT, "clone", "--quiet", "--no-tags", "--", url, dir.toString());
        return at(dir);
    }

    /**
     * Clones {@code branch} of {@code url} into {@code dir} (that branch only: a repository that many missions used
     * holds thousands of branches, and a clone of them all would copy all their objects), taking the objects
     * {@code reference} (a local repository, may be null) already has from there instead of over the network, then
     * copying them in: the clone does not depend on it. Other branches are fetched by name when needed.
     */
    public static GitWorkspace clone(String url, String branch, Path dir, Path reference) {
        List<String> args = new ArrayList<>(List.of("clone", "--quiet", "--no-tags", "--single-branch", "--branch", branch));
        if (reference != null) {
            args.addAll(List.of("--reference-if-able", reference.toString(), "--dissociate"));
        }
        args.addAll(List.of("--", url, dir.toString()));
        inParentOf(dir).run(NETWORK_TIMEOUT, args.toArray(String[]::new));
        return at(dir);
    }

    /** Makes {@code dir} a bare mirror of {@code url}: every ref, then the branches clones start from kept up to date ({@link #updateMirror}). */
    static GitWorkspace mirror(String url, Path dir) {
        inParentOf(dir).run(NETWORK_TIMEOUT, "clone", "--quiet", "--mirror", "--", url, dir.toString());
        GitWorkspace mirror = at(dir);
        mirror.git("config", "gc.auto", "0"); // clones borrow its objects while they are made; never prune under them
        return mirror;
    }

    /**
     * Brings {@code branch} of a mirror made by {@link #mirror} up to date: only that branch, so an update costs the
     * same however many branches the repository has.
     */
    void updateMirror(String branch) {
        run(NETWORK_TIMEOUT, "fetch", "--quiet", "--no-tags", "origin", "+refs/heads/" + branch + ":refs/heads/" + branch);
    }

    private static GitWorkspace inParentOf(Path dir) {
        try {
            Files.createDirectories(dir.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GitWorkspace(dir.getParent(), GitIdentity.environment());
    }

    /**
     * Removes everything inside {@code dir} but keeps the directory itself (made if missing), so a bind mount of it (a
     * sandboxed OpenCode server's view of its slot) goes on showing what is cloned there next.
     */
    public static void empty(Path dir) {
        try {
            Files.createDirectories(dir);
            try (Stream<Path> children = Files.list(dir)) {
                for (Path child : children.toList()) {
                    delete(child);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a working tree (or any directory) from disk; nothing happens when it does not exist. */
    public static void delete(Path dir) {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** Runs {@code git args...} here and returns its trimmed output; throws {@link GitException} on failure. */
    public String git(String... args) {
        return run(LOCAL_TIMEOUT, args);
    }

    /** Runs git and returns its exit code instead of throwing; for questions such as "is this an ancestor". */
    public int status(String... args) {
        return exec(LOCAL_TIMEOUT, args).exitCode();
    }

    public String originUrl() {
        return git("remote", "get-url", "origin");
    }

    public boolean remoteBranchExists(String branch) {
        return !run(NETWORK_TIMEOUT, "ls-remote", "--heads", "origin", "refs/heads/" + branch).isBlank();
    }

    /** Fetches {@code branch} from origin into {@code refs/remotes/origin/branch}. */
    public void fetch(String branch) {
        run(NETWORK_TIMEOUT, "fetch", "--quiet", "--no-tags", "origin", "+refs/heads/" + branch + ":refs/remotes/origin/" + branch);
    }

    /** Fetches a branch and returns its head commit. */
    public String fetchHead(String branch) {
        fetch(branch);
        return resolve("refs/remotes/origin/" + branch);
    }

    public String head() {
        return git("rev-parse", "HEAD");
    }

    public String resolve(String ref) {
        return git("rev-parse", "--verify", "--quiet", ref + "^{commit}");
    }

    public boolean hasCommit(String commit) {
        return status("cat-file", "-e", commit + "^{commit}") == 0;
    }

    public boolean isAncestor(String commit, String of) {
        return status("merge-base", "--is-ancestor", commit, of) == 0;
    }

    /**
     * Puts the tree exactly at {@code commit} (detached), or on {@code branch} created there when one is given:
     * local changes, untracked and ignored files and nested repositories are gone.
     */
    public void checkoutClean(String commit, String branch) {
        status("merge", "--abort");
        status("rebase", "--abort");
        if (branch == null) {
            git("checkout", "--quiet", "--force", "--detach", commit);
        } else {
            git("checkout", "--quiet", "--force", "-B", branch, commit);
        }
        git("clean", "-ffdxq");
    }

    /**
     * Deletes every ref but {@code keep} (full names: {@code refs/heads/…}, {@code refs/remotes/origin/…}) and every
     * reflog: branches, tags and stashes an earlier attempt left behind, and the remote-tracking branches of other
     * missions it fetched, are gone, so nothing of one attempt shows in (or is pushed by) the next.
     */
    public void keepOnlyRefs(java.util.Set<String> keep) {
        StringBuilder deletes = new StringBuilder();
        for (String ref : lines(git("for-each-ref", "--format=%(refname)"))) {
            if (!keep.contains(ref)) {
                deletes.append("delete ").append(ref).append('\n');
            }
        }
        if (!deletes.isEmpty()) {
            ProcessRunner.Result result = execWithInput(LOCAL_TIMEOUT, deletes.toString(), "update-ref", "--no-deref", "--stdin");
            if (!result.succeeded()) {
                throw new GitException("update-ref --stdin", result.exitCode(), result.output(), false);
            }
        }
        git("reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all");
    }

    /** What a merge did: {@code merged} holds the new head, or {@code conflicts} the files that clashed. */
    public record MergeOutcome(String merged, List<String> conflicts) {
        public boolean clean() {
            return merged != null;
        }
    }

    /** Merges {@code commit} into the checked-out head with a merge commit ({@code --no-ff}); a conflict is aborted. */
    public MergeOutcome merge(String commit, String message) {
        if (status("merge", "--no-ff", "--no-edit", "-m", message, commit) == 0) {
            return new MergeOutcome(head(), List.of());
        }
        List<String> conflicts = lines(git("diff", "--name-only", "--diff-filter=U"));
        status("merge", "--abort");
        return new MergeOutcome(null, conflicts);
    }

    /** The merge commit on {@code head}'s history that merged {@code taskId} of {@code missionId} (any attempt). */
    public Optional<String> findTaskMerge(String head, String missionId, String taskId) {
        String log = git("log", "--merges", "--format=%H %(trailers:key=" + GitBranches.TRAILER_MISSION
                + ",valueonly,separator=)|%(trailers:key=" + GitBranches.TRAILER_TASK + ",valueonly,separator=)", head);
        for (String line : log.split("\n")) {
            int space = line.indexOf(' ');
            if (space > 0 && line.substring(space + 1).strip().equals(missionId + "|" + taskId)) {
                return Optional.of(line.substring(0, space));
            }
        }
        return Optional.empty();
    }

    /**
     * Commits everything the attempt changed since {@code base} as one commit with the fleet's trailers, whether
     * the agent left the changes in the tree or committed them itself (its commits are folded into this one).
     * Returns the commit, or null when nothing differs from {@code base}.
     */
    public String commitAttempt(String base, String message, String trailers) {
        if (!head().equals(base)) {
            git("reset", "--quiet", "--soft", base);
        }
        git("add", "--all");
        if (status("diff", "--cached", "--quiet", base) == 0) {
            return null;
        }
        git("commit", "--quiet", "--no-verify", "-m", message + "\n\n" + trailers);
        return head();
    }

    public List<String> changedFiles(String from, String to) {
        return lines(git("diff", "--name-only", from, to));
    }

    public String diff(String from, String to) {
        return git("diff", from, to);
    }

    /** Pushes without force; returns false when the remote refused because the branch moved or exists. */
    public boolean push(String localRef, String remoteBranch) {
        ProcessRunner.Result result = exec(NETWORK_TIMEOUT, "push", "--quiet", "--porcelain", "origin", localRef + ":refs/heads/" + remoteBranch);
        if (result.succeeded()) {
            return true;
        }
        String output = result.output();
        if (output.contains("[rejected]") || output.contains("non-fast-forward") || output.contains("fetch first")
                || output.contains("already exists")) {
            return false;
        }
        throw new GitException("push origin " + localRef + ":" + remoteBranch, result.exitCode(), output, true);
    }

    private static List<String> lines(String out) {
        return out.isBlank() ? List.of() : List.of(out.split("\n"));
    }

    private String run(Duration timeout, String... args) {
        ProcessRunner.Result result = exec(timeout, args);
        if (!result.succeeded()) {
            throw new GitException(String.join(" ", args), result.exitCode(), result.output(), timeout == NETWORK_TIMEOUT);
        }
        return result.output().strip();
    }

    private ProcessRunner.Result exec(Duration timeout, String... args) {
        return execWithInput(timeout, null, args);
    }

    private ProcessRunner.Result execWithInput(Duration timeout, String input, String... args) {
        List<String> command = new ArrayList<>(args.length + SAFE.size() + 1);
        command.add("git");
        command.addAll(SAFE);
        command.addAll(List.of(args));
        ProcessRunner runner = ProcessRunner.command(command).in(dir).env(environment).timeout(timeout);
        return (input == null ? runner : runner.input(input)).run();
    }
}
