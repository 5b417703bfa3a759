package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.cli.planner.MissionText;
import java.util.Iterator;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List missions, newest first.")
public class ListCommand extends PlannerCommand {

    enum Status { SUBMITTED, PLANNING, RUNNING, PAUSED, SEALED, FAILED, CANCELLED }

    @Option(names = "--status", paramLabel = "STATUS", description = "Only missions in this status: ${COMPLETION-CANDIDATES}.")
    Status status;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
        JsonNode missions = planner().missions(status == null ? null : status.name(), limit);
        if (json()) {
            printJson(missions);
            return ExitCode.OK;
        }
        if (missions.isEmpty()) {
            out().println("No missions" + (status == null ? "" : " in status " + status) + " at " + planner().baseUrl()
                    + ". Submit one with `bin/fleet submit`.");
            return ExitCode.OK;
        }
        String row = "%-28s  %-9s  %-9s  %-8s  %s%n";
        out().printf(row, "MISSION", "STATUS", "DONE", "UPDATED", "TITLE");
        for (JsonNode mission : missions) {
            long done = 0;
            long total = 0;
            for (Iterator<Map.Entry<String, JsonNode>> states = mission.path("tasksByState").fields(); states.hasNext(); ) {
                Map.Entry<String, JsonNode> state = states.next();
                total += state.getValue().asLong();
                done += state.getKey().equals("DONE") ? state.getValue().asLong() : 0;
            }
            out().printf(row, mission.path("id").asText(), mission.path("status").asText(), done + "/" + total,
                    MissionText.time(mission.path("updatedAt")), MissionText.firstLine(mission.path("title").asText(""), 60));
        }
        out().flush();
        return ExitCode.OK;
    }
}
