package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.cli.ExitCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "retry", mixinStandardHelpOptions = true,
        description = {"Run a task again with a new attempt.", "For example a FAILED task after you fixed its cause."})
public class RetryCommand extends PlannerCommand {

    @Parameters(index = "0", paramLabel = "MISSION", description = "The mission id.")
    String missionId;

    @Parameters(index = "1", paramLabel = "TASK", description = "The task id.")
    String taskId;

    @Override
    public Integer call() {
        JsonNode mission = planner().retry(missionId, taskId);
        if (json()) {
            printJson(mission);
        } else {
            out().printf("Task %s of mission %s is dispatched again. Follow it with `bin/fleet watch %s`.%n",
                    taskId, missionId, missionId);
        }
        return ExitCode.OK;
    }
}
