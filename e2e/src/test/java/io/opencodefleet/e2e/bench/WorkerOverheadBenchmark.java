package io.opencodefleet.e2e.bench;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.opencode.OpencodeBinary;
import io.opencodefleet.common.opencode.OpencodeClient;
import io.opencodefleet.common.opencode.OpencodeServer;
import io.opencodefleet.common.opencode.OpencodeServerSettings;
import io.opencodefleet.common.opencode.OpencodeSession;
import io.opencodefleet.common.opencode.PromptReply;
import io.opencodefleet.testkit.git.TestRepository;
import io.opencodefleet.testkit.model.Match;
import io.opencodefleet.testkit.model.Rule;
import io.opencodefleet.testkit.model.Script;
import io.opencodefleet.testkit.model.ScriptedModel;
import io.opencodefleet.testkit.model.Turn;
import io.opencodefleet.testkit.opencode.OpencodeTestConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Per-task overhead on a worker with the model's time taken out (the scripted model answers at once):
 * the fleet's path — fresh clone, task branch, a session on the worker's warm {@code opencode serve}, the
 * agent writes a file, commit with trailers, push — against {@code opencode run} from cold in a fresh clone,
 * the way one-shot orchestrators drive OpenCode. Both in one run, same machine, same model.
 */
public final class WorkerOverheadBenchmark {

    public static void main(String[] args) throws Exception {
        int warmRuns = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int coldRuns = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path root = Files.createTempDirectory("bench-worker-");
        TestRepository repo = TestRepository.create(root.resolve("repo"), Map.of("README.md", "# bench\n"));
        Script script = Script.of(Rule.when(Match.hasTools()).reply(Turn.write("out.txt", "benchmark\n"), Turn.text("Wrote out.txt")));
        Path binary = OpencodeBinary.locateOrInstall();
        try (ScriptedModel model = ScriptedModel.start(script);
                OpencodeServer server = OpencodeServer.start(OpencodeServerSettings.of(binary, root.resolve("opencode"))
                        .withConfigContent(OpencodeTestConfig.jsonFor(model)))) {
            OpencodeClient client = server.client();
            runWarm(client, repo, root.resolve("warmup"), 0); // first directory pays OpenCode's one-off costs
            Stats warm = new Stats();
            for (int i = 1; i <= warmRuns; i++) {
                warm.add(runWarm(client, repo, root.resolve("warm-" + i), i));
            }
            Stats reused = new Stats();
            Path slot = root.resolve("slot");
            GitWorkspace.clone(repo.url(), slot);
            runReused(client, slot, 0);
            for (int i = 1; i <= warmRuns; i++) {
                reused.add(runReused(client, slot, i));
            }
            Stats cold = new Stats();
            for (int i = 1; i <= coldRuns; i++) {
                cold.add(runCold(binary, model, repo, root.resolve("cold-" + i)));
            }
            System.out.println("fleet worker path (warm server): " + warm);
            System.out.println("same, slot directory reused:     " + reused);
            System.out.println("opencode run from cold:          " + cold);
            System.out.printf("ratio cold/fresh clone (medians): %.1fx%n", cold.median() / warm.median());
            System.out.printf("ratio cold/slot reused (medians): %.1fx%n", cold.median() / reused.median());
        }
    }

    /** The worker's per-task path, measured end to end. */
    private static double runWarm(OpencodeClient client, TestRepository repo, Path dir, int i) {
        long started = System.nanoTime();
        GitWorkspace git = GitWorkspace.clone(repo.url(), dir);
        String branch = GitBranches.task("bench", "t" + i, 1);
        git.git("checkout", "--quiet", "-B", branch, "origin/main");
        OpencodeSession session = client.createSession(dir, "bench " + i);
        PromptReply reply = client.prompt(session, OpencodeTestConfig.MODEL, "Write out.txt");
        if (!reply.completed() || !Files.exists(dir.resolve("out.txt"))) {
            throw new IllegalStateException("warm task " + i + " did not complete: " + reply);
        }
        git.commitAll("Task t" + i, GitBranches.trailers("bench", "t" + i, 1));
        git.git("push", "--quiet", "--force", "origin", "HEAD:refs/heads/" + branch);
        return (System.nanoTime() - started) / 1e6;
    }

    /** The worker's path in a slot directory kept across tasks: reset to the base instead of a fresh clone. */
    private static double runReused(OpencodeClient client, Path dir, int i) {
        long started = System.nanoTime();
        GitWorkspace git = GitWorkspace.at(dir);
        String branch = GitBranches.task("bench", "r" + i, 1);
        git.fetch("main");
        git.git("checkout", "--quiet", "--force", "-B", branch, "refs/remotes/origin/main");
        git.git("clean", "-fdxq");
        OpencodeSession session = client.createSession(dir, "bench reused " + i);
        PromptReply reply = client.prompt(session, OpencodeTestConfig.MODEL, "Write out.txt");
        if (!reply.completed() || !Files.exists(dir.resolve("out.txt"))) {
            throw new IllegalStateException("reused task " + i + " did not complete: " + reply);
        }
        git.commitAll("Task r" + i, GitBranches.trailers("bench", "r" + i, 1));
        git.git("push", "--quiet", "--force", "origin", "HEAD:refs/heads/" + branch);
        return (System.nanoTime() - started) / 1e6;
    }

    /** {@code opencode run} with its own fresh data directories, as a one-shot orchestrator would start it. */
    private static double runCold(Path binary, ScriptedModel model, TestRepository repo, Path dir) throws Exception {
        long started = System.nanoTime();
        GitWorkspace git = GitWorkspace.clone(repo.url(), dir);
        ProcessBuilder run = new ProcessBuilder(List.of(binary.toString(), "run", "--model", OpencodeTestConfig.MODEL, "Write out.txt"))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Path home = dir.getParent().resolve(dir.getFileName() + "-home");
        Map<String, String> env = run.environment();
        var config = OpencodeTestConfig.forScriptedModel(model.baseUrl());
        config.putObject("permission").put("edit", "allow").put("bash", "allow");
        env.put("OPENCODE_CONFIG_CONTENT", config.toString());
        env.put("PWD", dir.toString()); // `opencode run` works in $PWD, not in the process's working directory
        env.put("XDG_DATA_HOME", home.resolve("data").toString());
        env.put("XDG_CACHE_HOME", home.resolve("cache").toString());
        env.put("XDG_STATE_HOME", home.resolve("state").toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.put("OPENCODE_DISABLE_MODELS_FETCH", "true");
        env.put("OPENCODE_DISABLE_AUTOUPDATE", "true");
        Process process = run.start();
        process.getOutputStream().close(); // `opencode run` reads a piped stdin as more prompt
        boolean exited = process.waitFor(120, TimeUnit.SECONDS);
        if (!exited || process.exitValue() != 0 || !Files.exists(dir.resolve("out.txt"))) {
            process.destroyForcibly();
            throw new IllegalStateException("opencode run did not complete in " + dir + " (exited: " + exited
                    + (exited ? ", status " + process.exitValue() : "") + ")");
        }
        git.commitAll("cold run", GitBranches.trailers("bench", "cold", 1));
        return (System.nanoTime() - started) / 1e6;
    }

    private WorkerOverheadBenchmark() {
    }
}
