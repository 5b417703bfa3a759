package io.opencodefleet.cli;

import io.opencodefleet.cli.command.AttachCommand;
import io.opencodefleet.cli.command.CancelCommand;
import io.opencodefleet.cli.command.DemoCommand;
import io.opencodefleet.cli.command.DownCommand;
import io.opencodefleet.cli.command.ListCommand;
import io.opencodefleet.cli.command.LogsCommand;
import io.opencodefleet.cli.command.ResumeCommand;
import io.opencodefleet.cli.command.RetryCommand;
import io.opencodefleet.cli.command.ShowCommand;
import io.opencodefleet.cli.command.StatusCommand;
import io.opencodefleet.cli.command.SubmitCommand;
import io.opencodefleet.cli.command.UpCommand;
import io.opencodefleet.cli.command.WatchCommand;
import io.opencodefleet.cli.planner.PlannerClient;
import io.opencodefleet.devstack.fleet.StateDir;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code bin/fleet}: the top command; its options are inherited by every verb. */
@Command(name = "fleet", mixinStandardHelpOptions = true, versionProvider = Fleet.Version.class,
        description = "Runs a local fleet of OpenCode agents and drives its missions.",
        subcommands = {UpCommand.class, DownCommand.class, StatusCommand.class, DemoCommand.class,
                SubmitCommand.class, WatchCommand.class, ListCommand.class, ShowCommand.class, LogsCommand.class,
                AttachCommand.class, CancelCommand.class, ResumeCommand.class, RetryCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Start with `bin/fleet demo`; `bin/fleet <verb> --help` explains each verb.", "",
                "Exit codes: 0 ok (watch: SEALED)  1 mission FAILED  2 bad command line  3 mission CANCELLED",
                "            4 unknown mission or task  5 planner or broker unreachable  6 invalid or rejected mission",
                "            7 local fleet error  8 not authorized (token)  70 bug in the CLI",
                "Calls carry the bearer token in $FLEET_TOKEN, else the local fleet's own (<state dir>/api/token)."})
public class Fleet {

    @Option(names = "--planner", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "Planner REST API (default: $FLEET_PLANNER_URL, else the local fleet's, else http://127.0.0.1:8080).")
    URI planner;

    @Option(names = "--state-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Where the local fleet keeps its processes, logs and data (default: $FLEET_STATE_DIR, else .fleet/ in the project).")
    Path stateDir;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print JSON for scripts instead of text.")
    boolean json;

    public static void main(String[] args) {
        // The Kafka client logs through SLF4J (slf4j-simple, there for the broker process a local fleet runs from
        // this classpath): only errors here; failures reach the user as messages.
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "off");
        }
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new Fleet())
                .setExecutionExceptionHandler(new ErrorReporter())
                .setCaseInsensitiveEnumValuesAllowed(true);
    }

    public boolean json() {
        return json;
    }

    public StateDir state() {
        return StateDir.of(stateDir);
    }

    /**
     * The planner: the flag, then FLEET_PLANNER_URL, then the local fleet's planner, then the default port; called
     * with the bearer token in FLEET_TOKEN, else the local fleet's own (its state dir's {@code api/token}).
     */
    public PlannerClient planner() {
        String token = System.getenv("FLEET_TOKEN");
        if (token == null || token.isBlank()) {
            token = state().apiToken().orElse(null);
        }
        if (planner != null) {
            return new PlannerClient(planner, token);
        }
        String fromEnv = System.getenv("FLEET_PLANNER_URL");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new PlannerClient(URI.create(fromEnv), token);
        }
        return new PlannerClient(state().plannerUrl().orElse(URI.create("http://127.0.0.1:8080")), token);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Fleet.class.getPackage().getImplementationVersion();
            return new String[] {"OpenCode Fleet CLI " + (version == null ? "(development build)" : version)};
        }
    }
}
