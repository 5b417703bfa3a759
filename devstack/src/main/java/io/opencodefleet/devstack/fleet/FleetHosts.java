package io.opencodefleet.devstack.fleet;

import io.opencodefleet.devstack.net.Host;
import io.opencodefleet.devstack.net.TestNetwork;
import java.util.List;
import java.util.Objects;

/**
 * Where a multi-host {@link LocalFleet} runs its processes: the broker, PostgreSQL, the scripted model, the git
 * server, the planner and the reviewer on the infrastructure host, each worker on a worker host (worker {@code n} on
 * {@code workers[(n-1) % size]} unless {@link LocalFleet#addWorker(Host)} names one). Every process listens on its
 * host's address; PostgreSQL trusts {@code trustedNetwork} as it trusts loopback.
 *
 * @param infrastructure the host of the broker, PostgreSQL, the model, the git server, the planner and the reviewer
 * @param workers the hosts workers run on
 * @param trustedNetwork the test network (CIDR) PostgreSQL accepts connections from
 */
public record FleetHosts(Host infrastructure, List<Host> workers, String trustedNetwork) {

    public FleetHosts {
        Objects.requireNonNull(infrastructure, "infrastructure");
        workers = List.copyOf(workers);
        if (workers.isEmpty()) {
            throw new IllegalArgumentException("at least one worker host");
        }
        Objects.requireNonNull(trustedNetwork, "trustedNetwork");
    }

    /** h0 for the infrastructure, h1.. for workers. */
    public static FleetHosts on(TestNetwork network) {
        List<Host> hosts = network.hosts();
        if (hosts.size() < 2) {
            throw new IllegalArgumentException("a multi-host fleet needs two hosts at least: " + network);
        }
        return new FleetHosts(hosts.get(0), hosts.subList(1, hosts.size()), network.subnet());
    }

    /** The host of worker {@code index} (1-based) by default. */
    public Host workerHost(int index) {
        return workers.get((index - 1) % workers.size());
    }
}
