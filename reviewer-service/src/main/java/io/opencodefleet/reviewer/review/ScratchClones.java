package io.opencodefleet.reviewer.review;

import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.git.RepositoryMirrors;
import io.opencodefleet.common.messages.Ids;
import io.opencodefleet.common.messages.RepoRef;
import io.opencodefleet.reviewer.ReviewerConfig;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * One scratch clone per mission under the work dir, made on first use and reused for its later merges. A
 * mission id names the directory only after it matched the id pattern and resolved inside the work dir; a clone
 * whose origin is not the mission's repository (a check rewrote it, say) is made again. Clones borrow from the
 * reviewer's mirror of the repository, so each mission's clone fetches only what is new.
 * <p>
 * A sealed mission's clone is deleted by its seal. A mission that is never sealed (failed, cancelled, paused for
 * good) would keep its clone forever, so clones no review used for {@code fleet.reviewer.idle-clone-lifetime} are
 * swept; a clone is only a cache, made again if its mission comes back. A review holds its mission's lock
 * ({@link #using}), so the sweep never deletes a clone under it.
 */
@ApplicationScoped
public class ScratchClones {

    private static final Logger LOG = Logger.getLogger(ScratchClones.class);

    @Inject
    ReviewerConfig config;

    private RepositoryMirrors mirrors;

    /** The missions whose clone is in use or was lately; an entry goes with its clone. */
    private final Map<String, Use> uses = new ConcurrentHashMap<>();

    private static final class Use {
        final ReentrantLock lock = new ReentrantLock();
        volatile Instant last;

        Use(Instant last) {
            this.last = last;
        }
    }

    @PostConstruct
    void init() {
        // ".mirrors" cannot be a mission's directory: mission ids start with a letter or digit.
        mirrors = new RepositoryMirrors(config.workDir().resolve(".mirrors"));
    }

    /** Runs one review of {@code missionId} holding its clone, which the sweep then leaves alone. */
    public <T> T using(String missionId, Supplier<T> review) {
        Use use = uses.computeIfAbsent(missionId, id -> new Use(Instant.now()));
        use.lock.lock();
        try {
            return review.get();
        } finally {
            use.last = Instant.now();
            if (!hasClone(missionId)) {
                uses.remove(missionId, use); // a plan review, a seal: no clone to keep track of
            }
            use.lock.unlock();
        }
    }

    /** The mission's clone, holding {@code repo}'s base branch (other branches are fetched by name). */
    public GitWorkspace of(String missionId, RepoRef repo) {
        String repoUrl = repo.url();
        Path dir = dirOf(missionId);
        if (Files.isDirectory(dir.resolve(".git"))) {
            GitWorkspace existing = GitWorkspace.at(dir);
            try {
                if (repoUrl.equals(existing.originUrl())) {
                    return existing;
                }
            } catch (RuntimeException e) {
                LOG.warnf("Scratch clone of %s is broken (%s); cloning again", missionId, e.getMessage());
            }
        }
        GitWorkspace.delete(dir);
        return mirrors.clone(repoUrl, repo.baseRef(), dir);
    }

    public void forget(String missionId) {
        try {
            GitWorkspace.delete(dirOf(missionId));
            uses.remove(missionId);
        } catch (UncheckedIOException e) {
            LOG.warnf("Could not delete the scratch clone of %s: %s", missionId, e.getMessage());
        }
    }

    @Scheduled(every = "${fleet.reviewer.clone-sweep-interval:10m}", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void sweep() {
        int deleted = deleteUnusedSince(Instant.now().minus(config.idleCloneLifetime()));
        if (deleted > 0) {
            LOG.infof("Deleted %d scratch clones no review used for %s", deleted, config.idleCloneLifetime());
        }
    }

    /**
     * Deletes the clones that no review used since {@code cutoff} and none uses now; a clone from before this
     * process started counts as used when its git index last changed. Returns how many it deleted.
     */
    public int deleteUnusedSince(Instant cutoff) {
        int deleted = 0;
        for (Path dir : clones()) {
            String missionId = dir.getFileName().toString();
            Use use = uses.computeIfAbsent(missionId, id -> new Use(lastChanged(dir)));
            if (!use.lock.tryLock()) {
                continue; // a review is using it
            }
            try {
                if (use.last.isBefore(cutoff)) {
                    GitWorkspace.delete(dir);
                    uses.remove(missionId, use);
                    deleted++;
                }
            } catch (UncheckedIOException e) {
                LOG.warnf("Could not delete the idle scratch clone of %s: %s", missionId, e.getMessage());
            } finally {
                use.lock.unlock();
            }
        }
        return deleted;
    }

    private List<Path> clones() {
        Path root = config.workDir();
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(dir -> dir.getFileName().toString().matches(Ids.MISSION_ID) && Files.isDirectory(dir)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Instant lastChanged(Path dir) {
        Path index = dir.resolve(".git").resolve("index");
        try {
            return Files.getLastModifiedTime(Files.exists(index) ? index : dir).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH; // gone or unreadable: nothing to keep it for
        }
    }

    private boolean hasClone(String missionId) {
        try {
            return Files.isDirectory(dirOf(missionId));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    Path dirOf(String missionId) {
        Path root = config.workDir().toAbsolutePath().normalize();
        Path dir = root.resolve(missionId).normalize();
        if (missionId == null || !missionId.matches(Ids.MISSION_ID) || !dir.getParent().equals(root)) {
            throw new IllegalArgumentException("mission id '" + missionId + "' does not name a directory inside " + root);
        }
        return dir;
    }
}
