package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.cli.planner.MissionText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "cancel", mixinStandardHelpOptions = true,
        description = {"Cancel a mission.", "Its running tasks are aborted on the workers; nothing more is merged."})
public class CancelCommand extends PlannerCommand {

    @Parameters(paramLabel = "MISSION", description = "The mission id.")
    String missionId;

    @Override
    public Integer call() {
        JsonNode mission = planner().cancel(missionId);
        if (json()) {
            printJson(mission);
        } else {
            out().printf("Mission %s is %s.%n", missionId, MissionText.state(mission.path("status").asText()));
        }
        return ExitCode.OK;
    }
}
