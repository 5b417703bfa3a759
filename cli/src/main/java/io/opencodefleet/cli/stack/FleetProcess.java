package io.opencodefleet.cli.stack;

import java.net.URI;
import java.util.Optional;

/**
 * One process of a local fleet as {@code .fleet/pids} records it: {@code name pid port startedAtMillis}. The
 * start time tells the recorded process from a later one that reuses its pid.
 */
public record FleetProcess(String name, long pid, int port, long startedAtMillis) {

    public static final String BROKER = "broker";
    public static final String POSTGRES = "postgres";
    public static final String MODEL = "model";
    public static final String PLANNER = "planner";
    public static final String REVIEWER = "reviewer";
    public static final String WORKER_PREFIX = "worker-";

    static FleetProcess of(String name, ProcessHandle handle, int port) {
        return new FleetProcess(name, handle.pid(), port, handle.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L));
    }

    static FleetProcess parse(String line) {
        String[] fields = line.strip().split("\\s+");
        return new FleetProcess(fields[0], Long.parseLong(fields[1]), Integer.parseInt(fields[2]), Long.parseLong(fields[3]));
    }

    String line() {
        return name + " " + pid + " " + port + " " + startedAtMillis;
    }

    /** The recorded process, if it still runs (and is the same process, not a reused pid). */
    public Optional<ProcessHandle> handle() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> startedAtMillis == 0
                || h.info().startInstant().map(i -> i.toEpochMilli() == startedAtMillis).orElse(true));
    }

    public boolean alive() {
        return handle().isPresent();
    }

    /** Quarkus services: planner, reviewer, workers (they answer {@code /q/health}). */
    public boolean isService() {
        return name.equals(PLANNER) || name.equals(REVIEWER) || name.startsWith(WORKER_PREFIX);
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }
}
