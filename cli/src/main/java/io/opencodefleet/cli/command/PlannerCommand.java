package io.opencodefleet.cli.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.cli.Fleet;
import io.opencodefleet.cli.planner.PlannerClient;
import io.opencodefleet.common.messages.FleetJson;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** What every verb shares: the top command's options, the planner client and the output streams. */
public abstract class PlannerCommand implements Callable<Integer> {

    @ParentCommand
    Fleet fleet;

    @Spec
    CommandSpec spec;

    PlannerClient planner() {
        return fleet.planner();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    boolean json() {
        return fleet.json();
    }

    void printJson(JsonNode node) {
        try {
            out().println(FleetJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node));
            out().flush();
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
