package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.opencode.OpencodeBinary;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "attach", mixinStandardHelpOptions = true,
        description = {"Print the `opencode attach` command for a task's OpenCode session.",
                "It opens the session on its worker's OpenCode server, so you can watch the agent (or take over) in OpenCode's own interface."})
public class AttachCommand extends PlannerCommand {

    @Parameters(index = "0", paramLabel = "MISSION", description = "The mission id.")
    String missionId;

    @Parameters(index = "1", paramLabel = "TASK", description = "The task id.")
    String taskId;

    @Override
    public Integer call() {
        JsonNode mission = planner().mission(missionId);
        JsonNode task = null;
        for (JsonNode each : mission.path("tasks")) {
            if (each.path("taskId").asText().equals(taskId)) {
                task = each;
            }
        }
        if (task == null) {
            throw new CommandFailure(ExitCode.NOT_FOUND, "mission " + missionId + " has no task '" + taskId + "'; its tasks: "
                    + String.join(", ", mission.path("tasks").findValuesAsText("taskId")));
        }
        String url = task.path("opencodeUrl").asText(null);
        String session = task.path("opencodeSession").asText(null);
        String status = task.path("status").asText();
        if (url == null || session == null) {
            throw new CommandFailure(ExitCode.NOT_FOUND, "task " + taskId + " is " + status
                    + " and has no OpenCode session yet; attach once a worker has started it (`bin/fleet watch " + missionId + "`).");
        }
        // The URL is the worker's attach proxy: it takes the fleet's token as the password (role fleet-operator) and
        // reaches the slot's OpenCode server on the worker's own loopback, wherever that worker runs.
        String token = System.getenv("FLEET_TOKEN") != null ? "\"$FLEET_TOKEN\""
                : fleet.state().apiToken().isPresent() ? "\"$(cat " + fleet.state().apiTokenFile() + ")\"" : null;
        String binary = OpencodeBinary.find().map(Path::toString).orElse("opencode");
        String command = (token == null ? "" : "OPENCODE_SERVER_PASSWORD=" + token + " ") + binary + " attach " + url
                + " --username fleet --session " + session;
        if (json()) {
            ObjectNode node = FleetJson.MAPPER.createObjectNode().put("missionId", missionId).put("taskId", taskId)
                    .put("status", status).put("url", url).put("session", session).put("command", command);
            printJson(node);
            return ExitCode.OK;
        }
        if (!status.equals("RUNNING")) {
            err().printf("note: task %s is %s; its session stays on %s while that worker's OpenCode server runs.%n",
                    taskId, status, url);
        }
        if (token == null) {
            err().println("note: set OPENCODE_SERVER_PASSWORD to a fleet token with the role fleet-operator first.");
        }
        out().println(command);
        out().flush();
        return ExitCode.OK;
    }
}
