package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.cli.planner.MissionText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Resume a PAUSED mission, optionally with guidance for the agents' next attempts.")
public class ResumeCommand extends PlannerCommand {

    @Parameters(paramLabel = "MISSION", description = "The mission id.")
    String missionId;

    @Option(names = {"-g", "--guidance"}, paramLabel = "TEXT", description = "What the agents should do differently.")
    String guidance;

    @Override
    public Integer call() {
        JsonNode mission = planner().resume(missionId, guidance);
        if (json()) {
            printJson(mission);
        } else {
            out().printf("Mission %s is %s. Follow it with `bin/fleet watch %s`.%n", missionId,
                    MissionText.state(mission.path("status").asText()), missionId);
        }
        return ExitCode.OK;
    }
}
