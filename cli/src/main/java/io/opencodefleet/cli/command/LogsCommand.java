package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.cli.planner.MissionText;
import io.opencodefleet.common.messages.FleetJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "logs", mixinStandardHelpOptions = true,
        description = {"Show what happened in each attempt of a mission's tasks.",
                "The agent's summary, changed files, the reviewer's verdict, checks and feedback."})
public class LogsCommand extends PlannerCommand {

    @Parameters(index = "0", paramLabel = "MISSION", description = "The mission id.")
    String missionId;

    @Parameters(index = "1", arity = "0..1", paramLabel = "TASK", description = "Only this task.")
    String taskId;

    @Override
    public Integer call() {
        JsonNode mission = planner().mission(missionId);
        ArrayNode tasks = FleetJson.MAPPER.createArrayNode();
        mission.path("tasks").forEach(task -> {
            if (taskId == null || taskId.equals(task.path("taskId").asText())) {
                tasks.add(task);
            }
        });
        if (taskId != null && tasks.isEmpty()) {
            throw new CommandFailure(ExitCode.NOT_FOUND, "mission " + missionId + " has no task '" + taskId + "'; its tasks: "
                    + String.join(", ", mission.path("tasks").findValuesAsText("taskId")));
        }
        if (json()) {
            printJson(tasks);
            return ExitCode.OK;
        }
        for (JsonNode task : tasks) {
            out().printf("%s  %s  %s%n", MissionText.state(task.path("status").asText()), task.path("taskId").asText(),
                    task.path("title").asText(""));
            if (task.path("attempts").isEmpty()) {
                out().println("  (no attempt yet)");
            }
            for (JsonNode attempt : task.path("attempts")) {
                printAttempt(attempt);
            }
            out().println();
        }
        out().flush();
        return ExitCode.OK;
    }

    private void printAttempt(JsonNode attempt) {
        out().printf("  attempt %d  %s  %s%s%s%n", attempt.path("attempt").asInt(),
                MissionText.state(attempt.path("verdict").asText(attempt.path("status").asText("running"))),
                attempt.path("workerId").asText(""),
                attempt.hasNonNull("durationMs") ? String.format("  %.1f s", attempt.path("durationMs").asLong() / 1000.0) : "",
                attempt.has("usage") ? "  " + MissionText.usage(attempt.path("usage")) : "");
        indented("summary", attempt.path("summary").asText(""));
        if (!attempt.path("changedFiles").isEmpty()) {
            indented("changed", join(attempt.path("changedFiles")));
        }
        for (JsonNode check : attempt.path("checks")) {
            indented("check", check.path("command").asText() + "  → exit " + check.path("exitCode").asInt()
                    + " in " + check.path("durationMs").asLong() + " ms");
        }
        indented("feedback", attempt.path("feedback").asText(""));
    }

    private static String join(JsonNode array) {
        StringBuilder text = new StringBuilder();
        array.forEach(item -> text.append(text.isEmpty() ? "" : ", ").append(item.asText()));
        return text.toString();
    }

    private void indented(String label, String text) {
        if (text.isBlank()) {
            return;
        }
        String[] lines = text.strip().split("\n");
        out().printf("    %-9s %s%n", label, lines[0]);
        for (int i = 1; i < lines.length; i++) {
            out().printf("    %-9s %s%n", "", lines[i]);
        }
    }
}
