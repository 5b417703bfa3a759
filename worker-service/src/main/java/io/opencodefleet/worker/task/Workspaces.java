package io.opencodefleet.worker.task;

import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.git.RepositoryMirrors;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.worker.WorkerConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.jboss.logging.Logger;

/**
 * One working tree per task slot, used by one attempt at a time and reset between attempts. Keeping the directory
 * keeps OpenCode's per-directory state warm (about 0.4 s per task instead of 1.4 s with a fresh clone,
 * docs/benchmarks.md). Nothing of one attempt survives into the next: the tree is checked out clean (untracked and
 * ignored files and nested repositories removed), the clone's own {@code .git/config} and hooks are rewritten (what
 * the agent planted there would otherwise run in the next mission's git), and every ref and reflog but the task
 * branch and the branch it starts from is deleted (no branch, tag or stash of an earlier attempt survives). A slot
 * whose clone is broken or of another repository is cloned afresh, from the worker's mirror of the repository
 * ({@link RepositoryMirrors}).
 */
@ApplicationScoped
public class Workspaces {

    private static final Logger LOG = Logger.getLogger(Workspaces.class);

    @Inject
    WorkerConfig config;

    private final BlockingQueue<Path> free = new LinkedBlockingQueue<>();
    private final List<Path> slots = new ArrayList<>();
    /** Slots of a repository they have not held yet clone from the worker's mirror of it: new objects only travel. */
    private RepositoryMirrors mirrors;

    @PostConstruct
    void init() {
        mirrors = new RepositoryMirrors(config.worker().workDir().resolve("mirrors"));
        for (int slot = 1; slot <= config.worker().slots(); slot++) {
            Path dir = config.worker().workDir().toAbsolutePath().normalize().resolve("slot-" + slot);
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            slots.add(dir);
            free.add(dir);
        }
    }

    /** Every slot's directory. */
    public List<Path> slots() {
        return List.copyOf(slots);
    }

    /** A free slot directory; there are as many as task slots, so a task never waits here for long. */
    public Path acquire() {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a workspace", e);
        }
    }

    public void release(Path dir) {
        free.add(dir);
    }

    /**
     * Sets {@code dir} up for the attempt: its task branch at the integration branch's head (or the base ref before
     * it exists). A clone that fails to reset is replaced by a fresh one.
     */
    public GitWorkspace prepare(Path dir, TaskAssignment task) {
        GitWorkspace git = reusable(dir, task.repo().url());
        if (git != null) {
            try {
                return checkOut(git, task);
            } catch (RuntimeException e) {
                if (e instanceof io.opencodefleet.common.git.GitException g && g.remote()) {
                    throw e; // the remote's trouble, not the slot's: the caller retries
                }
                LOG.warnf("Slot %s could not be reset (%s); cloning it afresh", dir.getFileName(), e.getMessage());
            }
        }
        // Emptied, never removed: the slot's OpenCode server runs in a sandbox that bind-mounted this very directory.
        GitWorkspace.empty(dir);
        return checkOut(mirrors.clone(task.repo().url(), task.repo().baseRef(), dir), task);
    }

    private static GitWorkspace checkOut(GitWorkspace git, TaskAssignment task) {
        String start = git.remoteBranchExists(task.integrationBranch()) ? task.integrationBranch() : task.repo().baseRef();
        String head = git.fetchHead(start);
        git.checkoutClean(head, task.branch());
        git.keepOnlyRefs(Set.of("refs/heads/" + task.branch(), "refs/remotes/origin/" + start));
        return git;
    }

    /** The slot's clone when it is one of {@code url} and intact, with its config and hooks made the fleet's again; else null. */
    private static GitWorkspace reusable(Path dir, String url) {
        Path dotGit = dir.resolve(".git");
        if (!Files.isDirectory(dotGit, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try {
            scrub(dotGit, url);
            GitWorkspace git = GitWorkspace.at(dir);
            git.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}");
            return git;
        } catch (RuntimeException | IOException e) {
            LOG.infof("Slot %s is not reusable (%s)", dir.getFileName(), e.getMessage());
            return null;
        }
    }

    /** Rewrites what of {@code .git} could carry code or redirect the fleet's git: config, hooks, info, nested modules. */
    private static void scrub(Path dotGit, String url) throws IOException {
        Files.writeString(dotGit.resolve("config"), """
                [core]
                \trepositoryformatversion = 0
                \tfilemode = true
                \tbare = false
                \tlogallrefupdates = true
                [remote "origin"]
                \turl = %s
                \tfetch = +refs/heads/*:refs/remotes/origin/*
                """.formatted(url.replace("\\", "\\\\").replace("\"", "\\\"")));
        // Hooks and info (excludes, grafts) could run or hide code; modules and worktrees are other repositories; alternates
        // would make the fleet's git read objects from wherever the agent pointed them.
        for (String name : new String[] {"hooks", "modules", "info", "worktrees", "objects/info/alternates",
                "objects/info/http-alternates", "commondir", "config.worktree", "shallow"}) {
            Path path = dotGit.resolve(name);
            if (Files.isSymbolicLink(path)) {
                Files.delete(path);
            } else {
                try {
                    GitWorkspace.delete(path);
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
            }
        }
    }
}
