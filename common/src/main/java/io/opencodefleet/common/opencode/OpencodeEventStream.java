package io.opencodefleet.common.opencode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

/**
 * A live subscription to OpenCode's {@code GET /global/event} (server-sent events of every directory). One
 * stream per server serves every session: register a listener per session with {@link #forSession}. Reconnects
 * (to the server's current endpoint) until closed. Listeners run on the stream's thread: keep them short.
 */
public final class OpencodeEventStream implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OpencodeEventStream.class);

    private final OpencodeClient client;
    private final List<Consumer<OpencodeEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, List<Consumer<OpencodeEvent>>> sessionListeners = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean closed;
    private volatile InputStream current;
    private volatile CountDownLatch connected = new CountDownLatch(1);

    OpencodeEventStream(OpencodeClient client) {
        this.client = client;
        this.reader = new Thread(this::run, "opencode-events");
        reader.setDaemon(true);
        reader.start();
    }

    /** Delivers every event. */
    public AutoCloseable onEvent(Consumer<OpencodeEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Delivers the events of one session; close the returned handle when the task ends. */
    public AutoCloseable forSession(String sessionId, Consumer<OpencodeEvent> listener) {
        sessionListeners.computeIfAbsent(sessionId, id -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> sessionListeners.computeIfPresent(sessionId, (id, list) -> {
            list.remove(listener);
            return list.isEmpty() ? null : list;
        });
    }

    /** Waits until the stream is connected (OpenCode's {@code server.connected} arrived). */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        return connected.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        InputStream stream = current;
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        reader.interrupt();
    }

    private void run() {
        long backoffMillis = 100;
        while (!closed) {
            try {
                HttpResponse<InputStream> response = client.openStream("/global/event");
                if (response.statusCode() != 200) {
                    response.body().close();
                    throw new IOException("GET /global/event answered " + response.statusCode());
                }
                current = response.body();
                if (closed) {
                    current.close();
                    break;
                }
                backoffMillis = 100;
                read(response.body());
            } catch (IOException e) {
                if (!closed) {
                    LOG.debugf("OpenCode event stream interrupted (%s); reconnecting", e.getMessage());
                }
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                LOG.warn("OpenCode event stream failed; reconnecting", e);
            }
            if (connected.getCount() == 0) {
                connected = new CountDownLatch(1);
            }
            if (!closed) {
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException e) {
                    break;
                }
                backoffMillis = Math.min(backoffMillis * 2, 2000);
            }
        }
    }

    private void read(InputStream body) throws IOException {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        dispatch(data.toString());
                        data.setLength(0);
                    }
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(line.startsWith("data: ") ? line.substring(6) : line.substring(5));
                }
            }
        }
    }

    private void dispatch(String data) {
        OpencodeEvent event;
        try {
            event = OpencodeEvent.fromJson(OpencodeClient.JSON.readTree(data));
        } catch (IOException e) {
            LOG.debugf("skipping an event that is not JSON: %s", data);
            return;
        }
        if (OpencodeEvent.SERVER_CONNECTED.equals(event.type())) {
            connected.countDown();
        }
        for (Consumer<OpencodeEvent> listener : listeners) {
            deliver(listener, event);
        }
        if (event.sessionId() != null) {
            List<Consumer<OpencodeEvent>> forSession = sessionListeners.get(event.sessionId());
            if (forSession != null) {
                for (Consumer<OpencodeEvent> listener : forSession) {
                    deliver(listener, event);
                }
            }
        }
    }

    private static void deliver(Consumer<OpencodeEvent> listener, OpencodeEvent event) {
        try {
            listener.accept(event);
        } catch (RuntimeException e) {
            LOG.warnf(e, "an OpenCode event listener failed on %s", event.type());
        }
    }
}
