package io.opencodefleet.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** Loopback ports: a free one to listen on, whether one is free, whether something listens. */
public final class Ports {

    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private Ports() {
    }

    /**
     * A port nothing listens on right now, below the kernel's ephemeral range: the OS's own choice ({@code bind 0})
     * is an ephemeral port, which an outgoing connection can take before the service binds it (seen in the
     * multi-host test bed, where the check runs in another network namespace than the service's own). Never the
     * same port twice in this JVM.
     */
    public static synchronized int freePort() {
        int top = ephemeralLow();
        int bottom = Math.max(1024, top - 12_000);
        int span = top - bottom;
        int start = ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int port = bottom + (start + i) % span;
            if (!HANDED_OUT.contains(port) && bindable(port)) {
                HANDED_OUT.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no free port in " + bottom + ".." + (top - 1));
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port the kernel hands out for outgoing connections (32768 unless configured otherwise). */
    static int ephemeralLow() {
        try {
            // readAllLines, not readString: /proc files say they are empty, and readString then returns a truncated read
            int low = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+")[0]);
            return low > 2048 ? low : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    /** True when nothing holds {@code port} on 127.0.0.1. */
    public static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when something accepts connections on {@code 127.0.0.1:port}. */
    public static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
