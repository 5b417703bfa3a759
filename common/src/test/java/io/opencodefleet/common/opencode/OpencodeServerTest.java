package io.opencodefleet.common.opencode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import io.smallrye.mutiny.subscription.Cancellable;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.opencodefleet.common.sandbox.Sandbox;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.RecordedRequest;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import io.opencodefleet.devstack.model.ScriptedModelConfig;

/** A real {@code opencode serve} driven over HTTP, its model scripted. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpencodeServerTest {

    static final Script SCRIPT = Script.of(
            Rule.when(Match.promptContains("task c")).named("task c")
                    .reply(Turn.write("c.txt", "hello from the agent\n"), Turn.bash("echo hi > out.txt"),
                            Turn.text("Wrote c.txt and out.txt.")),
            Rule.when(Match.promptContains("rate limited").and(Match.hasTools())).named("rate limited")
                    .failFirst(429, 2).reply(Turn.write("limited.txt", "made it\n"), Turn.text("done")),
            Rule.when(Match.promptContains("rejected request").and(Match.hasTools())).named("rejected")
                    .reply(Turn.error(400)),
            Rule.when(Match.promptContains("hang forever").and(Match.hasTools())).named("hang")
                    .reply(Turn.hang()));

    @TempDir
    static Path shared;
    static ScriptedModel model;
    static ManagedOpencodeServer server;

    @BeforeAll
    static void startServer() {
        model = ScriptedModel.start(SCRIPT);
        long started = System.nanoTime();
        server = OpencodeServer.start(settings(shared.resolve("opencode")));
        report("cold start of opencode serve: %d ms", (System.nanoTime() - started) / 1_000_000);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    static OpencodeServerSettings settings(Path stateRoot) {
        return OpencodeServerSettings.of(OpencodeBinary.locateOrInstall(), stateRoot)
                .withConfigContent(ScriptedModelConfig.jsonFor(model));
    }

    /** Follows the events of one session, from when the stream is connected ({@code server.connected}) until closed. */
    static AutoCloseable listen(OpencodeSession session, Consumer<OpencodeEvent> listener) throws InterruptedException {
        CountDownLatch connected = new CountDownLatch(1);
        Cancellable subscription = server.client().events().subscribe().with(event -> {
            if (OpencodeEvent.SERVER_CONNECTED.equals(event.type())) {
                connected.countDown();
            } else if (session.id().equals(event.sessionId())) {
                listener.accept(event);
            }
        });
        assertThat(connected.await(10, TimeUnit.SECONDS)).as("the event stream connected").isTrue();
        return subscription::cancel;
    }

    @Test
    void aSessionWritesAFileRunsBashAndReportsTheScriptedUsage(@TempDir Path dir) throws Exception {
        Path repo = gitRepository(dir.resolve("repo"));
        OpencodeClient client = server.client();
        assertThat(client.version()).isEqualTo("1.18.33");

        long started = System.nanoTime();
        OpencodeSession session = client.createSession(repo, "task c");
        List<OpencodeEvent> seen = new CopyOnWriteArrayList<>();
        PromptReply reply;
        try (AutoCloseable subscription = listen(session, seen::add)) {
            reply = client.prompt(session, ScriptedModelConfig.MODEL, "Please do task c.");
            // the stream runs beside the reply: the session's last usage update may arrive just after it
            long input = reply.usage().input();
            eventually(() -> seen.stream().flatMap(e -> e.sessionUsage().stream())
                    .anyMatch(usage -> usage.tokens().input() >= input));
        }
        report("first task in a new directory: %d ms", (System.nanoTime() - started) / 1_000_000);

        assertThat(reply.completed()).as("error: %s", reply.error()).isTrue();
        assertThat(reply.text()).isEqualTo("Wrote c.txt and out.txt.");
        assertThat(Files.readString(repo.resolve("c.txt"))).isEqualTo("hello from the agent\n");
        assertThat(Files.readString(repo.resolve("out.txt"))).isEqualTo("hi\n");
        // three model calls (write, bash, final text), each reporting the script's default 100 + 20 tokens
        assertThat(reply.steps()).isEqualTo(3);
        assertThat(reply.usage().input()).isEqualTo(300);
        assertThat(reply.usage().output()).isEqualTo(60);
        assertThat(reply.sessionId()).isEqualTo(session.id());

        List<RecordedRequest> calls = model.requests(r -> r.conversationKey().equals(session.id()) && r.hasTools());
        assertThat(calls).extracting(RecordedRequest::step).containsExactly(0, 1, 2);
        assertThat(calls.get(0).toolNames()).contains("write", "bash", "edit", "read");
        assertThat(calls.get(0).lastUserMessage()).isEqualTo("Please do task c.");

        // progress: the event stream carried the session's growing token count, ending at the reply's usage
        assertThat(seen).extracting(OpencodeEvent::type).contains(OpencodeEvent.SESSION_STATUS,
                OpencodeEvent.MESSAGE_PART_UPDATED);
        TokenUsage last = seen.stream().flatMap(e -> e.sessionUsage().stream())
                .map(OpencodeEvent.SessionUsage::tokens).reduce((a, b) -> b).orElseThrow();
        assertThat(last.input()).isEqualTo(300);
        assertThat(last.output()).isEqualTo(60);

        // a warm server in a known directory
        started = System.nanoTime();
        OpencodeSession again = client.createSession(repo, "task c again");
        PromptReply second = client.prompt(again, ScriptedModelConfig.MODEL, "Please do task c again.");
        report("warm task: %d ms", (System.nanoTime() - started) / 1_000_000);
        assertThat(second.completed()).isTrue();
        assertThat(second.usage().input()).isEqualTo(300);
    }

    @Test
    void aRateLimitedModelIsRetriedAndTheTaskCompletes(@TempDir Path dir) throws Exception {
        Path repo = gitRepository(dir.resolve("repo"));
        OpencodeClient client = server.client();
        OpencodeSession session = client.createSession(repo, "rate limited task");
        List<String> statuses = new CopyOnWriteArrayList<>();
        PromptReply reply;
        try (AutoCloseable subscription = listen(session, event -> event.status().ifPresent(statuses::add))) {
            reply = client.prompt(session, ScriptedModelConfig.MODEL, "This task is rate limited.");
            eventually(() -> statuses.contains("idle"));
        }

        assertThat(reply.completed()).as("error: %s", reply.error()).isTrue();
        assertThat(Files.readString(repo.resolve("limited.txt"))).isEqualTo("made it\n");
        assertThat(model.requests(r -> r.conversationKey().equals(session.id()) && r.hasTools()))
                .extracting(RecordedRequest::status).containsExactly(429, 429, 200, 200);
        assertThat(statuses).contains("retry", "busy", "idle");
        assertThat(reply.usage().input()).as("failed calls report no usage").isEqualTo(200);
    }

    @Test
    void aModelErrorComesBackInTheReply(@TempDir Path dir) throws Exception {
        Path repo = gitRepository(dir.resolve("repo"));
        OpencodeClient client = server.client();
        OpencodeSession session = client.createSession(repo, "rejected");
        PromptReply reply = client.prompt(session, ScriptedModelConfig.MODEL, "A rejected request.");

        assertThat(reply.completed()).isFalse();
        assertThat(reply.error().name()).isEqualTo("APIError");
        assertThat(reply.error().statusCode()).isEqualTo(400);
    }

    @Test
    void abortStopsAHangingModelPromptly(@TempDir Path dir) throws Exception {
        Path repo = gitRepository(dir.resolve("repo"));
        OpencodeClient client = server.client();
        OpencodeSession session = client.createSession(repo, "hanging");
        CompletableFuture<PromptReply> pending = client.promptAsync(session, ScriptedModelConfig.MODEL, null,
                "Please hang forever.");
        long deadline = System.currentTimeMillis() + 30_000;
        while (model.requests(r -> r.conversationKey().equals(session.id()) && r.hasTools()).isEmpty()) {
            assertThat(System.currentTimeMillis()).as("the model was called").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(pending).isNotDone();

        long aborted = System.nanoTime();
        assertThat(client.abort(session)).isTrue();
        PromptReply reply = pending.get(5, TimeUnit.SECONDS);
        report("abort answered the prompt after %d ms", (System.nanoTime() - aborted) / 1_000_000);

        assertThat(reply.aborted()).isTrue();
        assertThat(reply.error().name()).isEqualTo(AgentError.ABORTED);
    }

    @Test
    void restartsWhenMemoryGrowsPastTheLimitOrTheProcessDies(@TempDir Path dir) throws Exception {
        AtomicReference<ManagedOpencodeServer> own = new AtomicReference<>();
        try (ManagedOpencodeServer small = OpencodeServer.start(settings(dir.resolve("opencode")).withMaxRssBytes(1))) {
            own.set(small);
            assertThat(small.residentBytes()).isGreaterThan(1);
            long firstPid = small.pid().orElseThrow();
            CountDownLatch firstConnection = new CountDownLatch(1);
            CountDownLatch connections = new CountDownLatch(2);
            Cancellable following = small.client().events().filter(e -> OpencodeEvent.SERVER_CONNECTED.equals(e.type()))
                    .subscribe().with(e -> {
                        firstConnection.countDown();
                        connections.countDown();
                    });
            // Connected to the first server before it restarts (else the first connection may go to the second one).
            assertThat(firstConnection.await(10, TimeUnit.SECONDS)).as("the event stream connected").isTrue();

            assertThat(small.ensureHealthy()).hasValueSatisfying(reason -> assertThat(reason).contains("memory"));
            long secondPid = small.pid().orElseThrow();
            assertThat(secondPid).isNotEqualTo(firstPid);
            assertThat(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(connections.await(10, TimeUnit.SECONDS)).as("the event stream followed the server to its new port").isTrue();
            following.cancel();

            ProcessHandle.of(secondPid).orElseThrow().destroyForcibly();
            ProcessHandle.of(secondPid).orElseThrow().onExit().get(10, TimeUnit.SECONDS);
            assertThat(small.ensureHealthy()).hasValueSatisfying(reason -> assertThat(reason).contains("exited"));
            assertThat(small.restarts()).isEqualTo(2);

            Path repo = gitRepository(dir.resolve("repo"));
            OpencodeSession session = small.client().createSession(repo, "after restart");
            assertThat(small.client().prompt(session, ScriptedModelConfig.MODEL, "task c").completed()).isTrue();
            assertThat(repo.resolve("out.txt")).exists();
        }
        long pid = own.get().pid().orElse(-1L);
        assertThat(pid).as("closed servers forget their process").isEqualTo(-1L);
        assertThatThrownBy(() -> own.get().ensureHealthy()).isInstanceOf(OpencodeException.class);
    }

    @Test
    void endedSessionsBeyondTheMostRecentAreDeletedInEveryProjectAndRunningOnesNever(@TempDir Path dir) throws Exception {
        Path one = gitRepository(dir.resolve("one"));
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.writeString(other.resolve("other.txt"), "another project, another root commit\n");
        run(other, "git", "init", "-q");
        run(other, "git", "add", ".");
        run(other, "git", "-c", "user.name=Other", "-c", "user.email=other@example.invalid", "commit", "-q", "-m", "other");
        OpencodeClient client = server.client();
        OpencodeSession running = client.createSession(one, "running");
        List<OpencodeSession> ended = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            OpencodeSession session = client.createSession(i % 2 == 0 ? one : other.toRealPath(), "ended " + i);
            ended.add(session);
            client.sessionEnded(session, 2);
        }

        for (OpencodeSession session : ended.subList(0, 3)) {
            assertThatThrownBy(() -> client.messages(session)).as("%s was deleted", session.title())
                    .isInstanceOf(OpencodeException.class).hasMessageContaining("404");
        }
        for (OpencodeSession session : List.of(ended.get(3), ended.get(4), running)) {
            assertThat(client.messages(session)).as("%s was kept", session.title()).isEmpty();
        }
    }

    @Test
    void aServerThatFailedAPromptItselfIsRestartedBeforeTheNextOne(@TempDir Path dir) throws Exception {
        try (ManagedOpencodeServer own = OpencodeServer.start(settings(dir.resolve("opencode")))) {
            long firstPid = own.pid().orElseThrow();
            // The server healthy, the prompt failing inside it: OpenCode answers 500 ("Unexpected server error").
            Path gone = gitRepository(dir.resolve("gone"));
            OpencodeSession session = own.client().createSession(gone, "doomed");
            run(dir, "rm", "-rf", gone.toString());
            assertThatThrownBy(() -> own.client().prompt(session, ScriptedModelConfig.MODEL, "task c"))
                    .isInstanceOf(OpencodeException.class).hasMessageContaining("500");
            assertThat(own.ensureHealthy()).as("it still answers its health check").isEmpty();

            own.promptFailed("answered 500");
            assertThat(own.ensureHealthy()).hasValueSatisfying(reason -> assertThat(reason).contains("failed a prompt: answered 500"));
            assertThat(own.pid().orElseThrow()).isNotEqualTo(firstPid);
            assertThat(own.ensureHealthy()).as("once: the mark is spent by the restart").isEmpty();
            assertThat(own.restarts()).isEqualTo(1);

            Path repo = gitRepository(dir.resolve("repo"));
            assertThat(own.client().prompt(own.client().createSession(repo, "after"), ScriptedModelConfig.MODEL, "task c").completed()).isTrue();
        }
    }

    @Test
    void aContainedServerStartedFromAThreadThatEndsKeepsRunning(@TempDir Path dir) throws Exception {
        assumeTrue(Sandbox.bubblewrapWorks(), "bubblewrap does not run here");
        AtomicReference<ManagedOpencodeServer> started = new AtomicReference<>();
        Thread starter = new Thread(() -> started.set(OpencodeServer.start(settings(dir.resolve("opencode"))
                .withSandbox(Sandbox.of(Sandbox.Mode.BUBBLEWRAP).writable(dir.resolve("work"))))));
        Files.createDirectories(dir.resolve("work"));
        starter.start();
        starter.join();
        try (ManagedOpencodeServer contained = started.get()) {
            assertThat(contained).as("started").isNotNull();
            Thread.sleep(1_000); // bwrap's --die-with-parent fires when the starting thread ends, if it is the parent
            assertThat(contained.ensureHealthy()).as("no restart needed: the server outlived the thread that started it").isEmpty();
            assertThat(contained.restarts()).isZero();
        }
    }

    @Test
    void anAttachedServerIsUsedAsItIsAndLeftRunning() {
        OpencodeServer attached = OpencodeServer.attach(server.endpoint());
        assertThat(attached).isInstanceOf(AttachedOpencodeServer.class);
        assertThat(attached.ensureHealthy()).isEmpty();
        attached.close();
        assertThat(server.client().healthy(Duration.ofSeconds(2))).isTrue();

        OpencodeClient wrongPassword = new OpencodeClient(
                new OpencodeEndpoint(server.endpoint().baseUri(), "opencode", "wrong"));
        assertThat(wrongPassword.healthy(Duration.ofSeconds(2))).isFalse();
        assertThatThrownBy(wrongPassword::version).isInstanceOf(OpencodeException.class)
                .satisfies(e -> assertThat(((OpencodeException) e).status()).isEqualTo(401));
    }

    /** Waits up to 10 s for what the event stream delivers beside a reply; the assertions that follow tell. */
    static void eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    static void report(String format, Object... args) {
        System.out.printf(format + "%n", args);
    }

    static Path gitRepository(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        run(dir, "git", "init", "-q");
        Files.writeString(dir.resolve("README.md"), "# test repository\n");
        run(dir, "git", "add", ".");
        run(dir, "git", "-c", "user.name=Fleet Test", "-c", "user.email=fleet@example.invalid", "commit", "-q",
                "-m", "initial");
        return dir.toRealPath();
    }

    static void run(Path dir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as("%s: %s", String.join(" ", command), output).isZero();
    }
}
