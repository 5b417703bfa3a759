package io.opencodefleet.cli.command;

import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.devstack.fleet.LocalFleet;
import io.opencodefleet.common.messages.FleetJson;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "down", mixinStandardHelpOptions = true,
        description = {"Stop the local fleet; nothing of it stays running or listening.",
                "Stops every process `up` started, and the workers' OpenCode servers."})
public class DownCommand extends PlannerCommand {

    @Override
    public Integer call() {
        List<String> stopped = new LocalFleet(fleet.state(), out()).down();
        if (json()) {
            printJson(FleetJson.MAPPER.valueToTree(Map.of("stopped", stopped)));
        } else if (stopped.isEmpty()) {
            out().println("No local fleet was running from " + fleet.state().root() + ".");
        } else {
            out().println("Stopped " + String.join(", ", stopped) + ". Nothing of the fleet is listening any more.");
        }
        out().flush();
        return ExitCode.OK;
    }
}
