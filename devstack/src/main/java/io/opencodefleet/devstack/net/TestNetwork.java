package io.opencodefleet.devstack.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A test's own network of "hosts" on this machine: Linux network namespaces joined by a switch. Made by the test
 * itself with {@code ip netns} and veth pairs, used by the multi-host tests and the scale benchmark (it needs root,
 * or {@code CAP_NET_ADMIN} and {@code CAP_SYS_ADMIN}; {@link #unavailable()} says why not).
 *
 * <pre>
 *             namespace fleet-&lt;id&gt;-sw: bridge br0
 *   ┌──────────────┬──────────────┬──────────────┬───────────────────────┐
 *   h0             h1             h2            ...          fl&lt;id&gt; (this machine's own namespace)
 *   eth0 10.213.x.1 eth0 .2        eth0 .3                    10.213.x.254
 * </pre>
 *
 * Each run picks a random id: namespaces {@code fleet-<id>-sw} and {@code fleet-<id>-h<n>}, the subnet
 * {@code 10.213.<x>.0/24} with {@code x} from the id (another one when this machine already has a route there), and
 * the interface {@code fl<id>} in this machine's namespace, so the JVM that made the network reaches every host (and
 * nothing else gains a route: no host has a default route, forwarding stays as it is). Every host has its own
 * loopback up. {@link #linkDown} takes a host's switch port down (the cable pulled: packets to and from it are
 * lost, nobody is told) and {@link #linkUp} puts it back.
 *
 * <p>{@link #close()} kills whatever still runs in the namespaces (only this test's processes live there) and
 * deletes them; a shutdown hook does the same when the JVM exits first. Namespaces of earlier runs that crashed
 * (their owner process is gone) are removed when the next network is made.
 */
public final class TestNetwork implements AutoCloseable {

    /** The prefix of every namespace a test network makes. */
    public static final String PREFIX = "fleet-";
    private static final Pattern NAMESPACE = Pattern.compile("fleet-([0-9a-f]{6})-(sw|h\\d+)");
    private static final Path OWNERS = Path.of("/run/fleet-testnet");
    private static final int ROOT_HOST = 254;
    private static volatile Optional<String> unavailable;

    private final String id;
    private final int subnet;
    private final String switchNamespace;
    private final List<Host> hosts = new ArrayList<>();
    private final Thread shutdownHook;
    private boolean closed;

    private TestNetwork(String id, int subnet) {
        this.id = id;
        this.subnet = subnet;
        this.switchNamespace = PREFIX + id + "-sw";
        this.shutdownHook = new Thread(this::closeQuietly, "test-network-" + id + "-down");
    }

    /**
     * Why a test network cannot be made here ({@code ip} missing, {@code ip netns add} not permitted, not Linux), or
     * empty when it can. Tries once per JVM: adds and deletes a namespace.
     */
    public static Optional<String> unavailable() {
        Optional<String> known = unavailable;
        if (known != null) {
            return known;
        }
        synchronized (TestNetwork.class) {
            if (unavailable == null) {
                unavailable = probe();
            }
            return unavailable;
        }
    }

    private static Optional<String> probe() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return Optional.of("network namespaces need Linux (this is " + System.getProperty("os.name") + ")");
        }
        String probe = PREFIX + "probe-" + ProcessHandle.current().pid();
        try {
            Result added = exec(List.of("ip", "netns", "add", probe));
            if (added.code != 0) {
                return Optional.of("`ip netns add` is not permitted here (" + added.output.strip()
                        + "); the multi-host test bed needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN)");
            }
            Result veth = exec(List.of("ip", "-n", probe, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"));
            exec(List.of("ip", "netns", "del", probe));
            if (veth.code != 0) {
                return Optional.of("veth pairs cannot be made here (" + veth.output.strip() + ")");
            }
            return Optional.empty();
        } catch (UncheckedIOException e) {
            return Optional.of("`ip` (iproute2) cannot run here: " + e.getMessage());
        }
    }

    /** Makes a network of {@code hosts} hosts ({@code h0} .. {@code h<hosts-1>}). */
    public static TestNetwork create(int hosts) {
        if (hosts < 1 || hosts > 200) {
            throw new IllegalArgumentException("1 to 200 hosts");
        }
        unavailable().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        removeStale();
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        String id = HexFormat.of().formatHex(random);
        TestNetwork network = new TestNetwork(id, freeSubnet(Byte.toUnsignedInt(random[0])));
        Runtime.getRuntime().addShutdownHook(network.shutdownHook);
        try {
            network.build(hosts);
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
        return network;
    }

    private void build(int count) {
        writeOwner();
        run(List.of("ip", "netns", "add", switchNamespace));
        ip(switchNamespace, "link", "set", "lo", "up");
        ip(switchNamespace, "link", "add", "br0", "type", "bridge");
        ip(switchNamespace, "link", "set", "br0", "up");
        for (int i = 0; i < count; i++) {
            Host host = new Host("h" + i, PREFIX + id + "-h" + i, address(i + 1));
            run(List.of("ip", "netns", "add", host.namespace()));
            hosts.add(host);
            ip(host.namespace(), "link", "set", "lo", "up");
            // One end in the host as eth0, the other in the switch as h<i>: no name in this machine's namespace.
            run(List.of("ip", "-n", host.namespace(), "link", "add", "eth0", "type", "veth", "peer", "name", host.name(),
                    "netns", switchNamespace));
            ip(switchNamespace, "link", "set", host.name(), "master", "br0");
            ip(switchNamespace, "link", "set", host.name(), "up");
            ip(host.namespace(), "addr", "add", host.address() + "/24", "dev", "eth0");
            ip(host.namespace(), "link", "set", "eth0", "up");
        }
        run(List.of("ip", "link", "add", rootInterface(), "type", "veth", "peer", "name", "root", "netns", switchNamespace));
        ip(switchNamespace, "link", "set", "root", "master", "br0");
        ip(switchNamespace, "link", "set", "root", "up");
        run(List.of("ip", "addr", "add", rootAddress() + "/24", "dev", rootInterface()));
        run(List.of("ip", "link", "set", rootInterface(), "up"));
        for (Host host : hosts) {
            awaitReachable(host);
        }
    }

    /** The run's id (6 hex digits), in every namespace's name. */
    public String id() {
        return id;
    }

    public List<Host> hosts() {
        return List.copyOf(hosts);
    }

    /** Host {@code h<index>}. */
    public Host host(int index) {
        return hosts.get(index);
    }

    public Host host(String name) {
        return hosts.stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no host " + name + " in " + hosts));
    }

    /** The test network, {@code 10.213.<x>.0/24}. */
    public String subnet() {
        return "10.213." + subnet + ".0/24";
    }

    /** This machine's own address on the test network (the JVM that made it reaches every host from there). */
    public String rootAddress() {
        return address(ROOT_HOST);
    }

    /** The switch's namespace. */
    public String switchNamespace() {
        return switchNamespace;
    }

    /** Takes the host's port on the switch down: its link is gone, packets to and from it are lost. */
    public void linkDown(Host host) {
        ip(switchNamespace, "link", "set", requireOwn(host).name(), "down");
    }

    /** Puts the host's port on the switch up again. */
    public void linkUp(Host host) {
        ip(switchNamespace, "link", "set", requireOwn(host).name(), "up");
    }

    /** True while the host's link is up. */
    public boolean linkIsUp(Host host) {
        String link = run(List.of("ip", "-n", switchNamespace, "-o", "link", "show", requireOwn(host).name()));
        return Pattern.compile("[<,]UP[,>]").matcher(link).find();
    }

    /** The pids of the processes running on a host. */
    public List<Long> processes(Host host) {
        return pids(requireOwn(host).namespace());
    }

    /** Kills whatever still runs on the hosts and removes the namespaces and this machine's interface. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<String> namespaces = new ArrayList<>();
        hosts.forEach(h -> namespaces.add(h.namespace()));
        namespaces.add(switchNamespace);
        remove(namespaces);
        exec(List.of("ip", "link", "del", rootInterface())); // gone with the switch already, normally
        try {
            Files.deleteIfExists(OWNERS.resolve(id));
        } catch (IOException e) {
            // left for the next run's clean-up
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("test network " + id + " not fully removed: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "TestNetwork[" + id + ", " + subnet() + ", " + hosts + "]";
    }

    // ----- helpers -----

    private String address(int hostPart) {
        return "10.213." + subnet + "." + hostPart;
    }

    private String rootInterface() {
        return "fl" + id;
    }

    private Host requireOwn(Host host) {
        if (!hosts.contains(host)) {
            throw new IllegalArgumentException(host + " is not a host of " + this);
        }
        return host;
    }

    private void awaitReachable(Host host) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!reachable(host.address())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("host " + host + " does not answer from this machine on " + subnet());
            }
            sleep(100);
        }
    }

    /** ICMP echo as root (a refused TCP connection to port 7 otherwise): either way the host answered. */
    private static boolean reachable(String address) {
        try {
            return java.net.InetAddress.getByName(address).isReachable(1000);
        } catch (IOException e) {
            return false;
        }
    }

    /** A /24 in 10.213.0.0/16 this machine has no address or route in yet, starting from {@code preferred}. */
    private static int freeSubnet(int preferred) {
        String routes = exec(List.of("ip", "-4", "route", "show", "table", "all")).output
                + exec(List.of("ip", "-4", "-o", "addr", "show")).output;
        for (int i = 0; i < 250; i++) {
            int candidate = 1 + (preferred + i) % 250;
            if (!routes.contains("10.213." + candidate + ".")) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free /24 left in 10.213.0.0/16");
    }

    private void writeOwner() {
        ProcessHandle self = ProcessHandle.current();
        String owner = self.pid() + " " + self.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L) + "\n";
        try {
            Files.createDirectories(OWNERS);
            Files.writeString(OWNERS.resolve(id), owner);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the test network's owner in " + OWNERS, e);
        }
    }

    /** Removes the namespaces of earlier runs whose owner process is gone (a crash, a kill -9). */
    private static void removeStale() {
        Set<String> ids = new LinkedHashSet<>();
        for (String line : exec(List.of("ip", "netns", "list")).output.split("\n")) {
            String name = line.strip().split("\\s+")[0];
            Matcher matcher = NAMESPACE.matcher(name);
            if (matcher.matches()) {
                ids.add(matcher.group(1));
            }
        }
        for (String staleId : ids) {
            if (ownerAlive(staleId)) {
                continue;
            }
            List<String> namespaces = new ArrayList<>();
            for (String line : exec(List.of("ip", "netns", "list")).output.split("\n")) {
                String name = line.strip().split("\\s+")[0];
                if (name.startsWith(PREFIX + staleId + "-")) {
                    namespaces.add(name);
                }
            }
            System.err.println("removing the test network " + staleId + " of an earlier run that ended without removing it: " + namespaces);
            remove(namespaces);
            exec(List.of("ip", "link", "del", "fl" + staleId));
            try {
                Files.deleteIfExists(OWNERS.resolve(staleId));
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    private static boolean ownerAlive(String id) {
        try {
            String[] owner = Files.readString(OWNERS.resolve(id)).strip().split("\\s+");
            long pid = Long.parseLong(owner[0]);
            long started = Long.parseLong(owner[1]);
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> started == 0 || h.info().startInstant().map(i -> i.toEpochMilli() == started).orElse(true))
                    .isPresent();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Kills every process in the namespaces (they are the test's), then deletes them. */
    private static void remove(List<String> namespaces) {
        List<ProcessHandle> processes = new ArrayList<>();
        for (String namespace : namespaces) {
            for (long pid : pids(namespace)) {
                ProcessHandle.of(pid).ifPresent(processes::add);
            }
        }
        processes.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            sleep(50);
        }
        for (String namespace : namespaces) {
            exec(List.of("ip", "netns", "del", namespace));
        }
    }

    private static List<Long> pids(String namespace) {
        Result result = exec(List.of("ip", "netns", "pids", namespace));
        List<Long> pids = new ArrayList<>();
        if (result.code == 0) {
            for (String line : result.output.split("\n")) {
                if (line.strip().matches("\\d+")) {
                    pids.add(Long.parseLong(line.strip()));
                }
            }
        }
        return pids;
    }

    private static void ip(String namespace, String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "-n", namespace));
        command.addAll(List.of(args));
        run(command);
    }

    /** Runs a command, returns its output; throws with the output when it fails. */
    static String run(List<String> command) {
        Result result = exec(command);
        if (result.code != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + result.code + "): " + result.output.strip());
        }
        return result.output;
    }

    private record Result(int code, String output) {
    }

    private static Result exec(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, output + " (timed out)");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
