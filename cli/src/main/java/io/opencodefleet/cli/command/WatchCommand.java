package io.opencodefleet.cli.command;

import io.opencodefleet.cli.planner.MissionWatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Follow a mission live until it ends; the exit code is its outcome.",
                "Prints each task's state, attempt and verdict as they change, then the result.",
                "Exit code is the outcome: 0 SEALED, 1 FAILED, 3 CANCELLED. With --json, one event per line."})
public class WatchCommand extends PlannerCommand {

    @Parameters(paramLabel = "MISSION", description = "The mission id.")
    String missionId;

    @Override
    public Integer call() {
        return new MissionWatch(planner(), out(), json()).watch(missionId);
    }
}
