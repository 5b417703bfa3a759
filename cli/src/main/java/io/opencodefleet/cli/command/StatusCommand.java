package io.opencodefleet.cli.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.devstack.fleet.FleetProcess;
import io.opencodefleet.devstack.fleet.Readiness;
import io.opencodefleet.common.messages.FleetJson;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show what of the local fleet runs, with pids, ports and health.",
                "Broker, PostgreSQL, model, planner, reviewer and workers; a service's health (/q/health/ready) and metrics",
                "answer on its management port (MGMT). Exit code 0 when everything runs and is healthy, 5 otherwise."})
public class StatusCommand extends PlannerCommand {

    @Override
    public Integer call() {
        List<FleetProcess> processes = fleet.state().processes();
        ArrayNode rows = FleetJson.MAPPER.createArrayNode();
        boolean allWell = !processes.isEmpty();
        for (FleetProcess process : processes) {
            boolean alive = process.alive();
            String health = !alive ? "STOPPED" : process.isService() ? health(process) : "RUNNING";
            allWell &= health.equals("UP") || health.equals("RUNNING");
            rows.addObject().put("name", process.name()).put("pid", process.pid()).put("port", process.port())
                    .put("managementPort", process.managementPort() > 0 ? process.managementPort() : null)
                    .put("state", health).put("url", process.isService() ? process.url().toString() : null)
                    .put("managementUrl", process.isService() ? process.managementUrl().toString() : null);
        }
        if (json()) {
            printJson(rows);
        } else if (processes.isEmpty()) {
            out().println("No local fleet in " + fleet.state().root() + ". Start one with `bin/fleet up`.");
        } else {
            out().printf("Local fleet in %s:%n", fleet.state().root());
            out().printf("  %-10s  %-8s  %-6s  %-6s  %-8s  %s%n", "PROCESS", "PID", "PORT", "MGMT", "STATE", "URL");
            rows.forEach(row -> out().printf("  %-10s  %-8d  %-6d  %-6s  %-8s  %s%n", row.path("name").asText(), row.path("pid").asLong(),
                    row.path("port").asInt(), row.path("managementPort").asText("-"), row.path("state").asText(), row.path("url").asText("")));
        }
        out().flush();
        return allWell ? ExitCode.OK : ExitCode.UNREACHABLE;
    }

    /** UP or DOWN from Quarkus' readiness check on the management port; SILENT when nothing answers there. */
    private static String health(FleetProcess service) {
        if (Readiness.httpOk(Readiness.readyUrl(service.managementUrl()))) {
            return "UP";
        }
        return Readiness.listening(service.managementUrl().getPort()) ? "DOWN" : "SILENT";
    }
}
