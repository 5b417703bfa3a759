package io.opencodefleet.cli.command;

import io.opencodefleet.cli.stack.FleetSettings;
import io.opencodefleet.cli.stack.ModelChoice;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The layout of a local fleet, shared by {@code up} and {@code demo}. */
public class StackOptions {

    @Option(names = "--workers", defaultValue = "2", description = "Worker processes, each with its own OpenCode server (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--slots", defaultValue = "2", description = "Concurrent tasks per worker (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Kafka broker port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--planner-port", defaultValue = "8080", description = "Planner REST port (default: ${DEFAULT-VALUE}).")
    int plannerPort;

    @Option(names = "--reviewer-port", defaultValue = "8082", description = "Reviewer HTTP port (default: ${DEFAULT-VALUE}).")
    int reviewerPort;

    @Option(names = "--worker-port", defaultValue = "8091", description = "First worker's HTTP port; worker N gets this + N - 1 (default: ${DEFAULT-VALUE}).")
    int workerPort;

    @Option(names = "--postgres-port", defaultValue = "5432",
            description = "PostgreSQL port: the server running there, else an embedded one started on it (default: ${DEFAULT-VALUE}).")
    int postgresPort;

    @Option(names = "--database", defaultValue = "fleet", description = "Database of the planner, created when missing (default: ${DEFAULT-VALUE}).")
    String database;

    @Option(names = "--scripted-model", paramLabel = "SCRIPT",
            description = "Use testkit's scripted model with this script (JSON) instead of a real model.")
    Path scriptedModelScript;

    FleetSettings settings(ModelChoice model) {
        return new FleetSettings(kafkaPort, plannerPort, reviewerPort, workerPort, workers, slots, postgresPort, database, model);
    }
}
