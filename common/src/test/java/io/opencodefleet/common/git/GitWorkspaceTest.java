package io.opencodefleet.common.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitWorkspaceTest {

    @TempDir
    Path tmp;

    @Test
    void cloneCommitWithTrailersPushAndDetectAMovedRemote() throws Exception {
        Path origin = tmp.resolve("origin.git");
        Files.createDirectories(origin);
        GitWorkspace.at(origin).git("init", "--quiet", "--bare", "--initial-branch=main");
        GitWorkspace first = GitWorkspace.clone(origin.toString(), tmp.resolve("one"));
        Files.writeString(first.dir().resolve("README.md"), "hello\n");
        String base = first.commitAll("init", GitBranches.trailers("m", "t", 1));
        assertThat(base).isNotNull();
        assertThat(first.push("HEAD", "main")).isTrue();
        assertThat(first.commitAll("nothing", GitBranches.trailers("m", "t", 1))).isNull();
        assertThat(first.git("log", "-1", "--format=%(trailers:key=Fleet-Task,valueonly)")).isEqualTo("t");

        GitWorkspace second = GitWorkspace.clone(origin.toString(), tmp.resolve("two"));
        Files.writeString(second.dir().resolve("b.txt"), "b\n");
        second.commitAll("b", GitBranches.trailers("m", "b", 1));
        assertThat(second.push("HEAD", "main")).isTrue();

        Files.writeString(first.dir().resolve("a.txt"), "a\n");
        first.commitAll("a", GitBranches.trailers("m", "a", 1));
        assertThat(first.push("HEAD", "main")).as("remote moved: push without force is refused").isFalse();
        first.fetch("main");
        assertThat(first.isAncestor(base, "origin/main")).isTrue();
        assertThat(first.changedFiles(base, "origin/main")).containsExactly("b.txt");
        assertThat(first.remoteBranchExists("main")).isTrue();
        assertThat(first.remoteBranchExists("fleet/m")).isFalse();
    }
}
