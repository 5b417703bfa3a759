package io.opencodefleet.devstack.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One machine of a {@link TestNetwork}: a network namespace with its own loopback and one interface ({@code eth0})
 * on the test network's switch, at {@code address}. A process runs "on" it when started through
 * {@link #command(List)} ({@code ip netns exec <namespace> ...}): it sees only that host's interfaces, so it binds
 * and is reached at {@code address}, and its {@code 127.0.0.1} is the host's own.
 *
 * @param name the host's short name in the test ({@code h0}, {@code h1}, ...)
 * @param namespace the network namespace ({@code fleet-<run id>-h0})
 * @param address its IPv4 address on the test network
 */
public record Host(String name, String namespace, String address) {

    /** {@code command} as it runs on this host. */
    public List<String> command(List<String> command) {
        List<String> wrapped = new ArrayList<>(prefix());
        wrapped.addAll(command);
        return wrapped;
    }

    /** What goes before a command to run it on this host: {@code ip netns exec <namespace>}. */
    public List<String> prefix() {
        return List.of("ip", "netns", "exec", namespace);
    }

    /** Runs {@code command} on this host, waits for it and returns its output; throws when it fails. */
    public String exec(String... command) {
        return TestNetwork.run(command(Arrays.asList(command)));
    }

    /** Runs {@code command} on this host and returns its exit code (output discarded). */
    public int status(String... command) {
        try {
            Process process = new ProcessBuilder(command(Arrays.asList(command))).redirectErrorStream(true).start();
            new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return name + " (" + address + ", netns " + namespace + ")";
    }
}
