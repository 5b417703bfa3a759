package io.opencodefleet.worker;

import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.worker.agent.AgentRun;
import io.opencodefleet.worker.agent.CodingAgent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * The worker's agent, played by the test: what it does is read from markers in the prompt, so each test asks for
 * the behaviour it checks (write a file, commit itself, hang until aborted, fail on the fleet's side, break .git,
 * plant a hook). Stands in for OpenCode and the model in the worker's own tests only.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class ScriptedAgent implements CodingAgent {

    private final AtomicInteger started = new AtomicInteger();

    /** How many sessions were started (a method: the test holds a client proxy, whose fields are not the bean's). */
    int starts() {
        return started.get();
    }

    @Override
    public String attachUrl(Path directory) {
        return null;
    }

    @Override
    public AgentRun start(Path dir, String missionId, String title, String model, String agent, String prompt, Duration timeout,
            LongConsumer onTokens) {
        started.incrementAndGet();
        CompletableFuture<AgentRun.Outcome> done = new CompletableFuture<>();
        String session = "ses_" + started.get();
        Thread worker = new Thread(() -> {
            try {
                done.complete(act(dir, prompt, done));
            } catch (Exception e) {
                done.complete(AgentRun.Outcome.failed(null, Usage.ZERO, e.toString(), false));
            }
        }, "scripted-agent");
        worker.setDaemon(true);
        worker.start();
        return new AgentRun() {
            @Override
            public String sessionId() {
                return session;
            }

            @Override
            public Outcome await() {
                try {
                    return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    return new Outcome(Ending.TIMED_OUT, null, Usage.ZERO, "timed out", false);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void abort() {
                done.complete(new Outcome(Ending.ABORTED, null, new Usage(1, 1, 0), "aborted", false));
            }
        };
    }

    private static AgentRun.Outcome act(Path dir, String prompt, CompletableFuture<AgentRun.Outcome> done) throws Exception {
        Usage usage = new Usage(10, 5, 0.001);
        if (prompt.contains("[[slow]]")) {
            Thread.sleep(2_000);
        }
        if (prompt.contains("[[hang]]")) {
            done.get(); // until aborted
        }
        if (prompt.contains("[[fail-infra]]")) {
            return AgentRun.Outcome.failed(null, usage, "APIError: provider answered 503", true);
        }
        if (prompt.contains("[[break-git]]")) {
            deleteTree(dir.resolve(".git"));
        }
        if (prompt.contains("[[plant]]")) {
            // Refs and object sources the next mission's agent would otherwise inherit; planted before the hooks below,
            // which would run in this agent's own git.
            git(dir, "branch", "planted-branch");
            git(dir, "tag", "planted-tag");
            Files.writeString(dir.resolve("stashed.txt"), "stash me\n");
            git(dir, "stash", "push", "--include-untracked", "--quiet");
            Files.createDirectories(dir.resolve("nested/objects"));
            Files.writeString(dir.resolve(".git/objects/info/alternates"), dir.resolve("nested/objects") + "\n");
            Path marker = Path.of(System.getProperty("java.io.tmpdir"), "fleet-worker-planted-" + ProcessHandle.current().pid());
            String script = "#!/bin/sh\ntouch " + marker + "\n";
            Path hook = dir.resolve(".git/hooks/post-checkout");
            Files.createDirectories(hook.getParent());
            Files.writeString(hook, script);
            hook.toFile().setExecutable(true);
            Files.writeString(dir.resolve(".git/fsmonitor.sh"), script);
            dir.resolve(".git/fsmonitor.sh").toFile().setExecutable(true);
            Files.writeString(dir.resolve(".git/config"), Files.readString(dir.resolve(".git/config"))
                    + "[core]\n\tfsmonitor = " + dir.resolve(".git/fsmonitor.sh") + "\n\thooksPath = " + hook.getParent() + "\n");
            Files.createDirectories(dir.resolve("nested/.git"));
        }
        if (prompt.contains("[[list-refs]]")) {
            String refs = gitOutput(dir, "for-each-ref", "--format=%(refname)");
            Files.writeString(dir.resolve("refs.txt"), refs + (Files.exists(dir.resolve(".git/objects/info/alternates")) ? "alternates\n" : ""));
        }
        for (String line : prompt.split("\n")) {
            if (line.startsWith("[[write ")) {
                String file = line.substring(8, line.indexOf("]]"));
                Files.writeString(dir.resolve(file), file + "\n");
            }
        }
        if (prompt.contains("[[commit]]")) {
            git(dir, "add", "--all");
            git(dir, "commit", "--quiet", "-m", "the agent's own commit");
        }
        return new AgentRun.Outcome(AgentRun.Ending.ANSWERED, "done: " + prompt.lines().findFirst().orElse(""), usage, null, false);
    }

    private static void git(Path dir, String... args) throws Exception {
        gitOutput(dir, args);
    }

    private static String gitOutput(Path dir, String... args) throws Exception {
        String[] command = new String[args.length + 5];
        System.arraycopy(new String[] {"git", "-c", "user.name=agent", "-c", "user.email=agent@localhost"}, 0, command, 0, 5);
        System.arraycopy(args, 0, command, 5, args.length);
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("git " + String.join(" ", args) + " failed: " + output);
        }
        return output;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
