package io.opencodefleet.worker.task;

import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.messages.TaskAssignment;
import io.opencodefleet.worker.WorkerConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One working tree per task slot, each used by one attempt at a time and reset between attempts (forced
 * checkout of the start commit, every untracked and ignored file removed). Keeping the directory keeps
 * OpenCode's per-directory state warm: about 0.4 s per task instead of 1.4 s with a fresh clone each time
 * (docs/benchmarks.md). A slot whose clone is of another repository is cloned again.
 */
@ApplicationScoped
public class Workspaces {

    @Inject
    WorkerConfig config;

    private final BlockingQueue<Path> free = new LinkedBlockingQueue<>();

    @PostConstruct
    void init() {
        for (int slot = 1; slot <= config.worker().slots(); slot++) {
            free.add(config.worker().workDir().resolve("slot-" + slot));
        }
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

    /** Sets {@code dir} up for the attempt: its task branch at the integration branch's head (or the base ref). */
    public GitWorkspace prepare(Path dir, TaskAssignment task) {
        GitWorkspace git = Files.isDirectory(dir.resolve(".git")) ? GitWorkspace.at(dir) : null;
        if (git == null || !task.repo().url().equals(git.git("remote", "get-url", "origin"))) {
            GitWorkspace.delete(dir);
            try {
                Files.createDirectories(dir.getParent());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            git = GitWorkspace.clone(task.repo().url(), dir);
        }
        String start = git.remoteBranchExists(task.integrationBranch()) ? task.integrationBranch() : task.repo().baseRef();
        git.fetch(start);
        git.git("checkout", "--quiet", "--force", "-B", task.branch(), "refs/remotes/origin/" + start);
        git.git("clean", "-fdxq");
        return git;
    }
}
