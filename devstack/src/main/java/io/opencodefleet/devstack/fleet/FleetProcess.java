package io.opencodefleet.devstack.fleet;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * One process of a local fleet as {@code .fleet/pids} records it: {@code name pid port startedAtMillis
 * managementPort}. The start time tells the recorded process from a later one that reuses its pid. A service's
 * {@code port} is its main HTTP port (the planner's API); its health and metrics ({@code /q/*}) answer on its
 * {@code managementPort} only (0 for the broker, PostgreSQL and the model, which have none).
 */
public record FleetProcess(String name, long pid, int port, long startedAtMillis, int managementPort) {

    public static final String BROKER = "broker";
    public static final String POSTGRES = "postgres";
    public static final String MODEL = "model";
    public static final String GIT = "git";
    public static final String PLANNER = "planner";
    public static final String REVIEWER = "reviewer";
    public static final String WORKER_PREFIX = "worker-";

    public static FleetProcess of(String name, ProcessHandle handle, int port, int managementPort) {
        return new FleetProcess(name, handle.pid(), port, handle.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L),
                managementPort);
    }

    /** A line of {@code pids}; one written before services had a management port has four fields (then 0). */
    public static FleetProcess parse(String line) {
        String[] fields = line.strip().split("\\s+");
        return new FleetProcess(fields[0], Long.parseLong(fields[1]), Integer.parseInt(fields[2]), Long.parseLong(fields[3]),
                fields.length > 4 ? Integer.parseInt(fields[4]) : 0);
    }

    public String line() {
        return name + " " + pid + " " + port + " " + startedAtMillis + " " + managementPort;
    }

    /** The recorded process, if it still runs (and is the same process, not a reused pid). */
    public Optional<ProcessHandle> handle() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> startedAtMillis == 0
                || h.info().startInstant().map(i -> i.toEpochMilli() == startedAtMillis).orElse(true));
    }

    public boolean alive() {
        return handle().isPresent();
    }

    /** Quarkus services: planner, reviewer, workers (they answer {@code /q/health} on their management port). */
    public boolean isService() {
        return isService(name);
    }

    public static boolean isService(String name) {
        return name.equals(PLANNER) || name.equals(REVIEWER) || name.startsWith(WORKER_PREFIX);
    }

    /** {@code http://127.0.0.1:<port>}: the main HTTP port (the planner's REST API). */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /**
     * {@code http://127.0.0.1:<managementPort>}, where a service's {@code /q/health} and {@code /q/metrics} answer;
     * the main URL for a process recorded without one.
     */
    public URI managementUrl() {
        return managementPort > 0 ? URI.create("http://127.0.0.1:" + managementPort) : url();
    }

    /** The ports it listens on: the main one and, for a service, its management port. */
    public List<Integer> ports() {
        return managementPort > 0 ? List.of(port, managementPort) : List.of(port);
    }
}
