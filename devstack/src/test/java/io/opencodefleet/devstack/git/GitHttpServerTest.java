package io.opencodefleet.devstack.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The git server over smart HTTP against the real git client: clone, fetch and push with the credentials from a
 * credential helper (never in the URL), refused without them.
 */
class GitHttpServerTest {

    @Test
    void cloneAndPushWithTheCredentialHelperAndNothingWithoutIt(@TempDir Path dir) {
        try (GitHttpServer server = GitHttpServer.start(dir.resolve("repos"), "127.0.0.1", 0, "fleet", "s3cret p@ss")) {
            LocalRepository repo = GitHttpServer.createRepository(server.root(), "demo", Map.of("README.md", "# demo\n"));
            String url = server.url("demo");
            assertThat(url).isEqualTo(server.baseUrl() + "demo.git").doesNotContain("@").doesNotContain("s3cret");

            // Without credentials: refused, and git does not prompt.
            Result anonymous = git(dir, Map.of("GIT_CONFIG_GLOBAL", "/dev/null"), "clone", url, dir.resolve("anonymous").toString());
            assertThat(anonymous.code).isNotZero();
            assertThat(anonymous.output).contains("could not read Username"); // the server asked for credentials
            assertThat(server.refused()).isPositive();

            // With the credential helper: clone, commit, push, and the bare repository has it.
            GitCredentials credentials = GitCredentials.write(dir.resolve("creds"), server.baseUrl(), "fleet", "s3cret p@ss");
            assertThat(permissions(credentials.store())).isEqualTo("rw-------");
            assertThat(permissions(credentials.store().getParent())).isEqualTo("rwx------");
            Map<String, String> env = credentials.environment();
            Path clone = dir.resolve("clone");
            assertThat(git(dir, env, "clone", url, clone.toString()).code).isZero();
            assertThat(clone.resolve("README.md")).hasContent("# demo");
            writeString(clone.resolve("hello.txt"), "hello\n");
            assertThat(git(clone, env, "add", "hello.txt").code).isZero();
            assertThat(git(clone, env, "commit", "-q", "-m", "hello").code).isZero();
            Result push = git(clone, env, "push", "origin", "HEAD:refs/heads/feature");
            assertThat(push.code).as(push.output).isZero();
            assertThat(repo.read("feature", "hello.txt")).isEqualTo("hello");
            assertThat(git(clone, env, "fetch", "origin").code).isZero();
            assertThat(git(clone, env, "remote", "get-url", "origin").output.strip()).isEqualTo(url);

            // A wrong password is refused too.
            GitCredentials wrong = GitCredentials.write(dir.resolve("wrong"), server.baseUrl(), "fleet", "nope");
            assertThat(git(dir, wrong.environment(), "ls-remote", url).code).isNotZero();
        }
    }

    private static String permissions(Path path) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeString(Path path, String text) {
        try {
            Files.writeString(path, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Result(int code, String output) {
    }

    private static Result git(Path dir, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of("git", "-c", "user.name=Test", "-c", "user.email=test@localhost"));
        command.addAll(List.of(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
            builder.environment().put("GIT_TERMINAL_PROMPT", "0");
            builder.environment().putAll(env);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(60, TimeUnit.SECONDS);
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
