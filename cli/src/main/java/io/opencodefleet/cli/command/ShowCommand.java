package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.cli.planner.MissionText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Show a mission and its tasks.",
                "Status, integration branch, usage, and every task with its state, attempt and verdict."})
public class ShowCommand extends PlannerCommand {

    @Parameters(paramLabel = "MISSION", description = "The mission id.")
    String missionId;

    @Override
    public Integer call() {
        JsonNode mission = planner().mission(missionId);
        if (json()) {
            printJson(mission);
        } else {
            MissionText.header(mission, out());
            out().println();
            MissionText.tasks(mission, out());
        }
        return ExitCode.OK;
    }
}
