package io.opencodefleet.common.opencode;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jboss.logging.Logger;

/**
 * An {@code opencode serve} of our own ({@link OpencodeProcess}, configured by {@link OpencodeConfiguration}), kept
 * healthy: {@link #ensureHealthy()} restarts it when its process died, it does not answer {@code /global/health}
 * (twice), it failed a prompt itself ({@link #promptFailed}), or its resident memory grew past the limit.
 */
public final class ManagedOpencodeServer implements OpencodeServer {

    private static final Logger LOG = Logger.getLogger(ManagedOpencodeServer.class);
    private static final long MIB = 1024 * 1024;

    private final OpencodeServerSettings settings;
    private final OpencodeClient client = new OpencodeClient(this::endpoint);
    private final AtomicInteger restarts = new AtomicInteger();
    private final AtomicReference<String> promptFailure = new AtomicReference<>();
    private volatile OpencodeProcess process;
    private volatile boolean closed;

    private ManagedOpencodeServer(OpencodeServerSettings settings) {
        this.settings = settings;
    }

    static ManagedOpencodeServer start(OpencodeServerSettings settings) {
        ManagedOpencodeServer server = new ManagedOpencodeServer(settings);
        server.process = OpencodeProcess.start(settings);
        return server;
    }

    @Override
    public OpencodeEndpoint endpoint() {
        OpencodeProcess current = process;
        if (current == null) {
            throw new OpencodeException("the OpenCode server is not running");
        }
        return current.endpoint();
    }

    @Override
    public OpencodeClient client() {
        return client;
    }

    @Override
    public int restarts() {
        return restarts.get();
    }

    /** The server process's pid, while it runs. */
    public Optional<Long> pid() {
        return Optional.ofNullable(process).map(OpencodeProcess::pid);
    }

    /** Resident memory of the server process and its children, or 0 when unknown. */
    public long residentBytes() {
        OpencodeProcess current = process;
        return current == null ? 0 : current.residentBytes();
    }

    @Override
    public synchronized Optional<String> ensureHealthy() {
        if (closed) {
            throw new OpencodeException("the OpenCode server is closed");
        }
        Optional<String> reason = reasonToRestart();
        reason.ifPresent(this::restart);
        return reason;
    }

    @Override
    public void promptFailed(String reason) {
        promptFailure.set(reason);
    }

    private Optional<String> reasonToRestart() {
        String failure = promptFailure.getAndSet(null);
        if (failure != null) {
            return Optional.of("it failed a prompt: " + failure);
        }
        OpencodeProcess current = process;
        if (current == null) {
            return Optional.of("it is not running");
        }
        if (!current.alive()) {
            return Optional.of("its process exited with status " + current.exitValue());
        }
        if (!client.healthy(settings.healthTimeout()) && !client.healthy(settings.healthTimeout())) {
            return Optional.of("it does not answer /global/health");
        }
        long rss = current.residentBytes();
        if (settings.maxRssBytes() > 0 && rss > settings.maxRssBytes()) {
            return Optional.of("its resident memory " + rss / MIB + " MiB exceeds the limit of " + settings.maxRssBytes() / MIB + " MiB");
        }
        return Optional.empty();
    }

    /** Restarts the server now: a new process, a new port, a new password. */
    public synchronized void restart(String reason) {
        LOG.warnf("restarting the OpenCode server because %s", reason);
        stop();
        restarts.incrementAndGet();
        process = OpencodeProcess.start(settings);
    }

    @Override
    public synchronized void close() {
        closed = true;
        stop();
    }

    private void stop() {
        OpencodeProcess current = process;
        process = null;
        if (current != null) {
            current.stop();
        }
    }

    @Override
    public String toString() {
        OpencodeProcess current = process;
        return "ManagedOpencodeServer[" + (current == null ? "stopped" : current.endpoint()) + "]";
    }
}
