package io.opencodefleet.common.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitWorkspaceTest {

    @TempDir
    Path tmp;

    private GitWorkspace origin() {
        Path origin = tmp.resolve("origin.git");
        GitWorkspace.at(tmp).git("init", "--quiet", "--bare", "--initial-branch=main", origin.toString());
        GitWorkspace seed = GitWorkspace.clone(origin.toString(), tmp.resolve("seed"));
        write(seed, "README.md", "hello\n");
        seed.git("add", "--all");
        seed.git("commit", "--quiet", "-m", "init");
        assertThat(seed.push("HEAD", "main")).isTrue();
        return seed;
    }

    @Test
    void anAttemptIsOneCommitWithTrailersAndAMovedRemoteIsDetected() {
        origin();
        GitWorkspace first = GitWorkspace.clone(tmp.resolve("origin.git").toString(), tmp.resolve("one"));
        String base = first.head();
        assertThat(first.commitAttempt(base, "nothing", GitBranches.trailers("m", "t", 1))).as("no change, no commit").isNull();

        GitWorkspace second = GitWorkspace.clone(tmp.resolve("origin.git").toString(), tmp.resolve("two"));
        write(second, "b.txt", "b\n");
        second.commitAttempt(second.head(), "b", GitBranches.trailers("m", "b", 1));
        assertThat(second.push("HEAD", "main")).isTrue();

        write(first, "a.txt", "a\n");
        String a = first.commitAttempt(base, "a", GitBranches.trailers("m", "a", 1));
        assertThat(first.git("log", "-1", "--format=%(trailers:key=Fleet-Task,valueonly)")).isEqualTo("a");
        assertThat(first.push(a, "main")).as("remote moved: push without force is refused").isFalse();
        assertThat(first.fetchHead("main")).isNotEqualTo(base);
        assertThat(first.isAncestor(base, "origin/main")).isTrue();
        assertThat(first.changedFiles(base, "origin/main")).containsExactly("b.txt");
        assertThat(first.remoteBranchExists("main")).isTrue();
        assertThat(first.remoteBranchExists("fleet/m")).isFalse();
    }

    @Test
    void clonesBorrowFromTheHostsMirrorAndStandAlone() {
        GitWorkspace seed = origin();
        String url = tmp.resolve("origin.git").toUri().toString(); // file://: a real transfer, as over the network
        RepositoryMirrors mirrors = new RepositoryMirrors(tmp.resolve("mirrors"));

        GitWorkspace first = mirrors.clone(url, "main", tmp.resolve("first"));
        Path mirror = tmp.resolve("mirrors").resolve(RepositoryMirrors.nameOf(url));
        assertThat(mirror.resolve("HEAD")).as("the mirror was made").exists();
        assertThat(first.head()).isEqualTo(seed.head());

        write(seed, "later.txt", "later\n");
        seed.git("add", "--all");
        seed.git("commit", "--quiet", "-m", "later");
        assertThat(seed.push("HEAD", "main")).isTrue();
        String other = seed.head();
        seed.git("checkout", "--quiet", "-b", "fleet/other");
        write(seed, "other.txt", "other\n");
        seed.git("add", "--all");
        seed.git("commit", "--quiet", "-m", "another mission's branch");
        assertThat(seed.push("HEAD", "fleet/other")).isTrue();
        GitWorkspace second = mirrors.clone(url, "main", tmp.resolve("second"));
        assertThat(second.head()).as("a later clone sees the remote's new commit").isEqualTo(other);
        assertThat(GitWorkspace.at(mirror).resolve("refs/heads/main")).as("the mirror was updated").isEqualTo(other);
        // Only the branch a clone starts from is taken, into the clone and into the mirror's update: their cost does
        // not grow with the other branches a repository holds. Others are fetched by name when needed.
        assertThat(second.git("for-each-ref", "--format=%(refname)").lines()).contains("refs/remotes/origin/main")
                .noneMatch(ref -> ref.contains("fleet/"));
        assertThat(GitWorkspace.at(mirror).git("for-each-ref", "--format=%(refname)", "refs/heads/fleet/")).isEmpty();
        assertThat(second.fetchHead("fleet/other")).isEqualTo(seed.head());

        GitWorkspace.delete(tmp.resolve("mirrors"));
        assertThat(second.dir().resolve(".git/objects/info/alternates")).as("dissociated").doesNotExist();
        assertThat(second.git("cat-file", "-p", "HEAD:later.txt")).as("complete without the mirror").isEqualTo("later");
        assertThat(second.status("fsck", "--connectivity-only")).isZero();
        assertThat(mirrors.clone(url, "main", tmp.resolve("third")).head()).as("a deleted mirror is made again").isEqualTo(other);
    }

    @Test
    void aMirrorHalfMadeByAKilledProcessIsRemovedWhenTheNextOneStarts() throws Exception {
        origin();
        String url = tmp.resolve("origin.git").toUri().toString();
        Path root = tmp.resolve("mirrors");
        Path halfMade = root.resolve(".partial-0f6c2d9e");
        GitWorkspace.at(tmp).git("clone", "--quiet", "--mirror", url, halfMade.toString());

        RepositoryMirrors mirrors = new RepositoryMirrors(root);

        assertThat(halfMade).doesNotExist();
        assertThat(mirrors.clone(url, "main", tmp.resolve("clone")).head()).isEqualTo(GitWorkspace.at(tmp.resolve("seed")).head());
        try (var left = Files.list(root)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly(RepositoryMirrors.nameOf(url));
        }
    }

    @Test
    void aRepositoryThatCannotBeMirroredIsClonedWithoutAMirror() throws Exception {
        origin();
        Path root = tmp.resolve("not-a-directory");
        Files.writeString(root, "a file where the mirrors would go");
        GitWorkspace clone = new RepositoryMirrors(root).clone(tmp.resolve("origin.git").toString(), "main", tmp.resolve("clone"));
        assertThat(clone.git("cat-file", "-p", "HEAD:README.md")).isEqualTo("hello");
    }

    @Test
    void anAgentThatCommitsItsOwnWorkStillYieldsOneAttemptCommit() {
        GitWorkspace seed = origin();
        String base = seed.head();
        write(seed, "x.txt", "x\n");
        seed.git("add", "--all");
        seed.git("commit", "--quiet", "-m", "agent's own commit 1");
        write(seed, "y.txt", "y\n");
        seed.git("add", "--all");
        seed.git("commit", "--quiet", "-m", "agent's own commit 2");
        write(seed, "z.txt", "z\n"); // and some left uncommitted

        String commit = seed.commitAttempt(base, "Task t", GitBranches.trailers("m", "t", 2));
        assertThat(seed.git("rev-list", "--count", base + ".." + commit)).isEqualTo("1");
        assertThat(seed.changedFiles(base, commit)).containsExactly("x.txt", "y.txt", "z.txt");
        assertThat(seed.git("log", "-1", "--format=%(trailers:key=Fleet-Attempt,valueonly)", commit)).isEqualTo("2");
    }

    @Test
    void aTasksMergeIsFoundByMissionAndTaskNeverAcrossMissions() {
        GitWorkspace seed = origin();
        String base = seed.head();
        seed.git("checkout", "--quiet", "-b", "work");
        write(seed, "a.txt", "a\n");
        String work = seed.commitAttempt(base, "a", GitBranches.trailers("other", "a", 1));
        seed.checkoutClean(base, null);
        GitWorkspace.MergeOutcome merged = seed.merge(work, "Merge a\n\n" + GitBranches.trailers("other", "a", 1));
        assertThat(merged.clean()).isTrue();

        assertThat(seed.findTaskMerge(merged.merged(), "other", "a")).contains(merged.merged());
        assertThat(seed.findTaskMerge(merged.merged(), "mine", "a")).as("same task id, another mission").isEmpty();
        assertThat(seed.findTaskMerge(merged.merged(), "other", "b")).isEmpty();
    }

    @Test
    void aConflictNamesTheFilesAndLeavesTheTreeClean() {
        GitWorkspace seed = origin();
        String base = seed.head();
        write(seed, "README.md", "one\n");
        String one = seed.commitAttempt(base, "one", GitBranches.trailers("m", "one", 1));
        seed.checkoutClean(base, null);
        write(seed, "README.md", "two\n");
        seed.commitAttempt(base, "two", GitBranches.trailers("m", "two", 1));
        GitWorkspace.MergeOutcome outcome = seed.merge(one, "merge one");
        assertThat(outcome.clean()).isFalse();
        assertThat(outcome.conflicts()).containsExactly("README.md");
        assertThat(seed.git("status", "--porcelain")).isEmpty();
    }

    private static void write(GitWorkspace git, String file, String content) {
        try {
            Files.writeString(git.dir().resolve(file), content);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
