package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.devstack.sample.SampleProject;
import io.opencodefleet.cli.planner.MissionText;
import io.opencodefleet.cli.planner.MissionWatch;
import io.opencodefleet.devstack.fleet.LocalFleet;
import io.opencodefleet.devstack.fleet.ModelChoice;
import io.opencodefleet.devstack.git.LocalRepository;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a whole mission on a sample repository, from `up` to `down`.",
                "Brings a local fleet up, creates a sample git repository, runs a 3-task mission on it with live progress, show the result, and bring the fleet down.",
                "Uses your model when one is configured (FLEET_MODEL, or your OpenCode config); else the scripted model."})
public class DemoCommand extends PlannerCommand {

    @Mixin
    StackOptions stack;

    @Option(names = "--scripted", description = "Use the scripted model even when a real one is configured.")
    boolean scripted;

    @Option(names = "--keep-running", description = "Leave the fleet up afterwards (stop it with `bin/fleet down`).")
    boolean keepRunning;

    @Override
    public Integer call() {
        String missionId = "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path demoDir = fleet.state().resolve("demo/" + missionId);
        ModelChoice model = chooseModel(demoDir);

        LocalFleet.Endpoints endpoints = UpCommand.bringUp(fleet, out(), false, stack.settings(model));
        int outcome;
        try {
            LocalRepository repo = SampleProject.create(demoDir);
            out().printf("%nSample repository: %s (a bare git repository: the workers clone it and push to it)%n", repo.bareDir());
            JsonNode accepted = planner().submit(SampleProject.mission(missionId, repo.url()));
            out().printf("Submitted mission %s: %s%n%n", missionId, accepted.path("title").asText());
            outcome = new MissionWatch(planner(), out(), false).watch(missionId);
            report(missionId, repo, model);
        } finally {
            if (keepRunning) {
                out().printf("%nThe fleet keeps running at %s; stop it with `bin/fleet down`.%n", endpoints.byName().get("planner"));
            } else {
                out().printf("%nBringing the fleet down…%n");
                out().flush();
                new LocalFleet(fleet.state(), out()).down();
                out().println("Done: nothing of the fleet is running any more.");
            }
            out().flush();
        }
        return outcome;
    }

    private ModelChoice chooseModel(Path demoDir) {
        Optional<ModelChoice> configured = scripted ? Optional.empty() : ModelChoice.configured();
        if (configured.isPresent()) {
            out().println("Model: " + configured.get().description() + " (a real mission: it costs what your model costs)");
            return configured.get();
        }
        if (!scripted) {
            out().println(Ansi.AUTO.string("@|bold,yellow No model is configured|@") + " (no FLEET_MODEL, and no model or provider in "
                    + ModelChoice.userOpencodeConfig().map(Path::toString).orElse("OPENCODE_CONFIG or ~/.config/opencode/opencode.json") + ").");
            out().println("This demo therefore runs on the SCRIPTED MODEL: a stand-in that replays a fixed script, so real OpenCode");
            out().println("really edits files, runs commands and pushes, but no LLM thinks. Set FLEET_MODEL=provider/model for a real run.");
        }
        ModelChoice choice = ModelChoice.scripted(SampleProject.writeScriptedModelScript(demoDir.resolve("scripted-model.json")));
        out().println("Model: " + choice.description());
        out().flush();
        return choice;
    }

    private void report(String missionId, LocalRepository repo, ModelChoice model) {
        String branch = "fleet/" + missionId;
        if (!repo.hasBranch(branch)) {
            throw new CommandFailure(ExitCode.MISSION_FAILED, "the integration branch " + branch + " is not in " + repo.bareDir()
                    + "; see `bin/fleet logs " + missionId + "` (before `down`: --keep-running).");
        }
        out().printf("%nWhat the fleet did%s:%n", model.isScripted() ? " (scripted model)" : "");
        out().println("  git log --oneline " + branch + ":");
        repo.log(branch, "%h %s", "--first-parent").forEach(line -> out().println("    " + line));
        out().printf("  files on %s: %s%n", branch,
                LocalRepository.git(repo.bareDir(), "ls-tree", "--name-only", "-r", branch).replace('\n', ' '));
        JsonNode mission = planner().mission(missionId);
        out().println("  summaries:");
        mission.path("tasks").forEach(task -> out().printf("    %-6s %s%n", task.path("taskId").asText(),
                MissionText.firstLine(task.path("summary").asText(""), 100)));
        out().println("  usage: " + MissionText.usage(mission.path("usage")));
        out().printf("%nSee it yourself:%n  git clone -b %s %s /tmp/%s && cat /tmp/%s/README.md%n", branch, repo.bareDir(), missionId, missionId);
        out().flush();
    }
}
