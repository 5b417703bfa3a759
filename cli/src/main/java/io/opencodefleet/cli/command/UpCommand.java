package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.cli.Fleet;
import io.opencodefleet.devstack.fleet.FleetSettings;
import io.opencodefleet.devstack.fleet.LocalFleet;
import io.opencodefleet.devstack.fleet.ModelChoice;
import io.opencodefleet.common.messages.FleetJson;
import java.io.OutputStream;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Start a local fleet in the background and wait until it is ready.",
                "Kafka broker, PostgreSQL, planner, reviewer and workers run as separate processes;",
                "it returns once every service is ready. State, logs and pids live in .fleet/; `bin/fleet down` stops it all.",
                "Workers use your OpenCode configuration (OPENCODE_CONFIG, else ~/.config/opencode/opencode.json) and",
                "the mission's model, else FLEET_MODEL."})
public class UpCommand extends PlannerCommand {

    @Mixin
    StackOptions stack;

    @Override
    public Integer call() {
        ModelChoice model = stack.scriptedModelScript != null ? ModelChoice.scripted(stack.scriptedModelScript)
                : ModelChoice.configured().orElseGet(() -> {
                    err().println("note: no model configured (no FLEET_MODEL, no model or provider in your OpenCode config):"
                            + " missions must name one, or see `bin/fleet demo`.");
                    return ModelChoice.none();
                });
        bringUp(fleet, out(), json(), stack.settings(model));
        if (!json()) {
            out().println("Next: `bin/fleet submit --help`, `bin/fleet status`, `bin/fleet down`.");
            out().flush();
        }
        return ExitCode.OK;
    }

    /** Starts the fleet and prints where everything is; shared with {@code demo}. */
    static LocalFleet.Endpoints bringUp(Fleet fleet, PrintWriter out, boolean json, FleetSettings settings) {
        long started = System.nanoTime();
        PrintWriter progress = json ? new PrintWriter(OutputStream.nullOutputStream()) : out;
        progress.printf("Starting a local fleet (state in %s)%n", fleet.state().root());
        progress.flush();
        LocalFleet.Endpoints endpoints = new LocalFleet(fleet.state(), progress).up(settings);
        if (json) {
            ObjectNode node = FleetJson.MAPPER.createObjectNode();
            endpoints.byName().forEach(node::put);
            endpoints.management().forEach((name, url) -> node.put(name + "-management", url));
            out.println(node.toPrettyString());
            out.flush();
            return endpoints;
        }
        out.printf("%nLocal fleet is up in %.1f s:%n", (System.nanoTime() - started) / 1e9);
        endpoints.byName().forEach((name, where) -> out.printf("  %-10s %s%s%n", name, where,
                endpoints.management().containsKey(name) ? " (health, metrics: " + endpoints.management().get(name) + "/q/…)" : ""));
        out.printf("  %-10s %s%n", "logs", fleet.state().logs());
        out.printf("%nREST API %s/api/v1/missions (Swagger UI: %s/q/swagger-ui)%n", endpoints.byName().get("planner"),
                endpoints.management().get("planner"));
        if (settings.kafkaAuth()) {
            out.printf("Kafka asks every client for credentials; a submitter's are in %s%n",
                    fleet.state().kafkaClientConfig(io.opencodefleet.devstack.kafka.KafkaAccess.SUBMITTER));
        }
        out.flush();
        return endpoints;
    }
}
