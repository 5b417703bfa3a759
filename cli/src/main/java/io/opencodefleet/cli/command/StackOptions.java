package io.opencodefleet.cli.command;

import io.opencodefleet.common.opencode.OpencodeBinary;
import io.opencodefleet.devstack.fleet.FleetSettings;
import io.opencodefleet.devstack.fleet.ModelChoice;
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

    @Option(names = "--database", paramLabel = "NAME",
            description = "Database of the planner, created when missing (default: one per state directory, fleet_<hash of its path>).")
    String database;

    @Option(names = "--kafka-auth",
            description = {"The broker asks every client for credentials (SASL/SCRAM): each service connects as its own user with the",
                    "ACLs of deploy/k8s/base/kafka/users.yaml; client settings of each user in <state dir>/kafka-auth/."})
    boolean kafkaAuth;

    @Option(names = "--scripted-model", paramLabel = "SCRIPT",
            description = "Use the scripted model (a stand-in, no LLM) with this script (JSON) instead of a real model.")
    Path scriptedModelScript;

    FleetSettings settings(ModelChoice model) {
        return FleetSettings.builder()
                .kafkaPort(kafkaPort).plannerPort(plannerPort).reviewerPort(reviewerPort).firstWorkerPort(workerPort)
                .workers(workers).slotsPerWorker(slots)
                .kafkaAuth(kafkaAuth)
                .postgres(postgresPort).database(database)
                .model(model)
                .opencode(OpencodeBinary::locateOrInstall)
                .build();
    }
}
