package io.opencodefleet.reviewer.review;

import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.git.RepositoryMirrors;
import io.opencodefleet.common.messages.Ids;
import io.opencodefleet.reviewer.ReviewerConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * One scratch clone per mission under the work dir, made on first use and reused for its later merges. A
 * mission id names the directory only after it matched the id pattern and resolved inside the work dir; a clone
 * whose origin is not the mission's repository (a check rewrote it, say) is made again. Clones borrow from the
 * reviewer's mirror of the repository, so each mission's clone fetches only what is new.
 */
@ApplicationScoped
public class ScratchClones {

    private static final Logger LOG = Logger.getLogger(ScratchClones.class);

    @Inject
    ReviewerConfig config;

    private RepositoryMirrors mirrors;

    @PostConstruct
    void init() {
        // ".mirrors" cannot be a mission's directory: mission ids start with a letter or digit.
        mirrors = new RepositoryMirrors(config.workDir().resolve(".mirrors"));
    }

    public GitWorkspace of(String missionId, String repoUrl) {
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
        return mirrors.clone(repoUrl, dir);
    }

    public void forget(String missionId) {
        try {
            GitWorkspace.delete(dirOf(missionId));
        } catch (UncheckedIOException e) {
            LOG.warnf("Could not delete the scratch clone of %s: %s", missionId, e.getMessage());
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
