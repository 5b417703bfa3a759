package io.opencodefleet.e2e.bench;

import io.opencodefleet.common.git.GitBranches;
import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.opencode.ManagedOpencodeServer;
import io.opencodefleet.common.opencode.OpencodeBinary;
import io.opencodefleet.common.opencode.OpencodeClient;
import io.opencodefleet.common.opencode.OpencodeServer;
import io.opencodefleet.common.opencode.OpencodeServerSettings;
import io.opencodefleet.common.opencode.OpencodeSession;
import io.opencodefleet.common.opencode.PromptReply;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import io.opencodefleet.devstack.model.ScriptedModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
        int rssTasks = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        Path root = Files.createTempDirectory("bench-worker-");
        LocalRepository repo = LocalRepository.create(root.resolve("repo"), Map.of("README.md", "# bench\n"));
        Script script = Script.of(Rule.when(Match.hasTools()).reply(Turn.write("out.txt", "benchmark\n"), Turn.text("Wrote out.txt")));
        Path binary = OpencodeBinary.locateOrInstall();
        try (ScriptedModel model = ScriptedModel.start(script);
                ManagedOpencodeServer server = OpencodeServer.start(OpencodeServerSettings.of(binary, root.resolve("opencode"))
                        .withConfigContent(ScriptedModelConfig.jsonFor(model)))) {
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
            System.out.println("slot reused, by step (medians):");
            STEPS.forEach((name, stats) -> System.out.printf("  %-50s %7.1f ms%n", name, stats.median()));

            // Memory and disk as work grows: the server's resident memory (with its children) and its state directory
            // (OpenCode's database of sessions) over many tasks in one slot; first keeping every session, then deleting
            // all but the 20 most recent after each task, as the worker does (fleet.opencode.kept-sessions).
            Path state = root.resolve("opencode");
            for (int kept : new int[] {Integer.MAX_VALUE, 20}) {
                String policy = kept == Integer.MAX_VALUE ? "every session kept" : "the " + kept + " most recent sessions kept";
                StringBuilder rss = new StringBuilder(String.format("OpenCode server RSS over %d tasks in one slot, %s (MiB):", rssTasks, policy));
                StringBuilder disk = new StringBuilder(String.format("OpenCode state directory over the same tasks (MiB):"));
                for (int i = 0; i <= rssTasks; i++) {
                    if (i % 100 == 0 || i == rssTasks) {
                        rss.append(String.format(" %d: %.0f", i, Footprint.mib(server.residentBytes())));
                        disk.append(String.format(" %d: %.1f", i, Footprint.mib(Footprint.bytesUnder(state))));
                    }
                    if (i < rssTasks) {
                        runReused(client, slot, warmRuns + 1 + i + (kept == 20 ? rssTasks : 0));
                        if (kept != Integer.MAX_VALUE) {
                            client.sessionEnded(lastSession, kept);
                        }
                    }
                }
                System.out.println(rss.append(" (the server process and its children)"));
                System.out.println(disk);
            }
        }
    }

    /** Bytes of the regular files under {@code dir}. */
    /** The worker's per-task path, measured end to end. */
    private static double runWarm(OpencodeClient client, LocalRepository repo, Path dir, int i) {
        long started = System.nanoTime();
        GitWorkspace git = GitWorkspace.clone(repo.url(), dir);
        String branch = GitBranches.task("bench", "t" + i, 1);
        git.git("checkout", "--quiet", "-B", branch, "origin/main");
        OpencodeSession session = client.createSession(dir, "bench " + i);
        PromptReply reply = client.prompt(session, ScriptedModelConfig.MODEL, "Write out.txt");
        if (!reply.completed() || !Files.exists(dir.resolve("out.txt"))) {
            throw new IllegalStateException("warm task " + i + " did not complete: " + reply);
        }
        git.commitAttempt(git.head(), "Task t" + i, GitBranches.trailers("bench", "t" + i, 1));
        git.git("push", "--quiet", "--force", "origin", "HEAD:refs/heads/" + branch);
        return (System.nanoTime() - started) / 1e6;
    }

    /** Where the reused-slot path spends its time, step by step (medians printed with the results). */
    private static final Map<String, Stats> STEPS = new LinkedHashMap<>();

    private static OpencodeSession lastSession;

    /** The worker's path in a slot directory kept across tasks: reset to the base instead of a fresh clone. */
    private static double runReused(OpencodeClient client, Path dir, int i) {
        long started = System.nanoTime();
        long[] mark = {started};
        GitWorkspace git = GitWorkspace.at(dir);
        String branch = GitBranches.task("bench", "r" + i, 1);
        git.fetch("main");
        git.git("checkout", "--quiet", "--force", "-B", branch, "refs/remotes/origin/main");
        git.git("clean", "-fdxq");
        step(i, "workspace reset (fetch, checkout, clean)", mark);
        OpencodeSession session = client.createSession(dir, "bench reused " + i);
        lastSession = session;
        step(i, "session create", mark);
        PromptReply reply = client.prompt(session, ScriptedModelConfig.MODEL, "Write out.txt");
        if (!reply.completed() || !Files.exists(dir.resolve("out.txt"))) {
            throw new IllegalStateException("reused task " + i + " did not complete: " + reply);
        }
        step(i, "prompt round trips (2 model calls, a file write)", mark);
        git.commitAttempt(git.head(), "Task r" + i, GitBranches.trailers("bench", "r" + i, 1));
        step(i, "commit with trailers", mark);
        git.git("push", "--quiet", "--force", "origin", "HEAD:refs/heads/" + branch);
        step(i, "push", mark);
        return (System.nanoTime() - started) / 1e6;
    }

    private static void step(int run, String name, long[] mark) {
        long now = System.nanoTime();
        if (run > 0) { // run 0 is the warm-up
            STEPS.computeIfAbsent(name, k -> new Stats()).add((now - mark[0]) / 1e6);
        }
        mark[0] = now;
    }

    /** {@code opencode run} with its own fresh data directories, as a one-shot orchestrator would start it. */
    private static double runCold(Path binary, ScriptedModel model, LocalRepository repo, Path dir) throws Exception {
        long started = System.nanoTime();
        GitWorkspace git = GitWorkspace.clone(repo.url(), dir);
        ProcessBuilder run = new ProcessBuilder(List.of(binary.toString(), "run", "--model", ScriptedModelConfig.MODEL, "Write out.txt"))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Path home = dir.getParent().resolve(dir.getFileName() + "-home");
        Map<String, String> env = run.environment();
        var config = ScriptedModelConfig.forScriptedModel(model.baseUrl());
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
        git.commitAttempt(git.head(), "cold run", GitBranches.trailers("bench", "cold", 1));
        return (System.nanoTime() - started) / 1e6;
    }

    private WorkerOverheadBenchmark() {
    }
}
