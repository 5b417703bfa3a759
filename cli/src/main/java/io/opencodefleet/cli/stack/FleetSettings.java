package io.opencodefleet.cli.stack;

/** How {@code up} lays out a local fleet: ports, sizes, database name and model. */
public record FleetSettings(int kafkaPort, int plannerPort, int reviewerPort, int firstWorkerPort, int workers,
        int slotsPerWorker, int postgresPort, String database, ModelChoice model) {
}
