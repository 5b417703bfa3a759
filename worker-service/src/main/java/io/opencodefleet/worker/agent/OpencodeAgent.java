package io.opencodefleet.worker.agent;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.opencode.OpencodeBinary;
import io.opencodefleet.common.opencode.OpencodeClient;
import io.opencodefleet.common.opencode.OpencodeEndpoint;
import io.opencodefleet.common.opencode.OpencodeEventStream;
import io.opencodefleet.common.opencode.OpencodeException;
import io.opencodefleet.common.opencode.OpencodeServer;
import io.opencodefleet.common.opencode.OpencodeServerSettings;
import io.opencodefleet.common.opencode.OpencodeSession;
import io.opencodefleet.common.opencode.PromptReply;
import io.opencodefleet.worker.WorkerConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.jboss.logging.Logger;

/**
 * The worker's OpenCode: its own supervised {@code opencode serve} (or an existing server at
 * {@code fleet.opencode.url}), one session per task attempt. Completion comes from OpenCode's reply to the
 * prompt; token progress from its event stream; the timeout and cancel abort the session.
 */
@ApplicationScoped
public class OpencodeAgent implements CodingAgent {

    private static final Logger LOG = Logger.getLogger(OpencodeAgent.class);
    private static final Duration ABORT_GRACE = Duration.ofSeconds(15);

    @Inject
    WorkerConfig config;

    @Inject
    MeterRegistry metrics;

    private final AtomicInteger activeRuns = new AtomicInteger();
    private OpencodeServer server;
    private OpencodeEventStream events;

    void start(@Observes StartupEvent event) {
        WorkerConfig.Opencode settings = config.opencode();
        if (settings.url().isPresent()) {
            server = OpencodeServer.attach(OpencodeEndpoint.of(settings.url().get(), settings.password().orElse(null)));
            LOG.infof("Using the OpenCode server at %s", settings.url().get());
        } else {
            Path binary = settings.bin().map(Path::of).orElseGet(OpencodeBinary::locate);
            server = OpencodeServer.start(OpencodeServerSettings.of(binary, settings.home())
                    .withMaxRssBytes(settings.maxRssMb() * 1024 * 1024)
                    .withPassword(settings.serverPassword().orElse(null)));
            LOG.infof("Started OpenCode (%s) at %s", binary, server.endpoint().baseUri());
        }
        events = server.client().openEventStream();
        FunctionCounter.builder("fleet.opencode.restarts", server, OpencodeServer::restarts)
                .description("Restarts of the worker's OpenCode server (died, unhealthy, or past its memory limit)").register(metrics);
    }

    void stop(@Observes ShutdownEvent event) {
        if (events != null) {
            events.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Override
    public String attachUrl() {
        return server == null ? null : server.endpoint().baseUri().toString();
    }

    @Override
    public AgentRun start(Path directory, String title, String model, String agent, String prompt, Duration timeout, LongConsumer onTokens) {
        reserveServer();
        try {
            OpencodeClient client = server.client();
            OpencodeSession session = client.createSession(directory, title);
            AutoCloseable listening = events.forSession(session.id(),
                    event -> event.sessionUsage().ifPresent(usage -> onTokens.accept(usage.tokens().total())));
            String chosenModel = model != null && !model.isBlank() ? model : config.model().filter(m -> !m.isBlank()).orElse(null);
            CompletableFuture<PromptReply> reply = client.promptAsync(session.id(), directory, chosenModel, agent, prompt);
            reply.whenComplete((answer, failure) -> activeRuns.decrementAndGet());
            return new Run(client, session, reply, timeout, listening);
        } catch (RuntimeException e) {
            activeRuns.decrementAndGet();
            throw e;
        }
    }

    /**
     * Counts a session in, after restarting the server if it died or stopped answering. A restart for memory
     * happens only while no session runs on it, since a restart kills every session of the server.
     */
    private synchronized void reserveServer() {
        if (activeRuns.get() == 0 || !server.client().healthy(Duration.ofSeconds(2))) {
            server.ensureHealthy();
        }
        activeRuns.incrementAndGet();
    }

    private static final class Run implements AgentRun {
        private final OpencodeClient client;
        private final OpencodeSession session;
        private final CompletableFuture<PromptReply> reply;
        private final Duration timeout;
        private final AutoCloseable listening;
        private volatile boolean aborted;

        Run(OpencodeClient client, OpencodeSession session, CompletableFuture<PromptReply> reply, Duration timeout, AutoCloseable listening) {
            this.client = client;
            this.session = session;
            this.reply = reply;
            this.timeout = timeout;
            this.listening = listening;
        }

        @Override
        public String sessionId() {
            return session.id();
        }

        @Override
        public Outcome await() {
            try {
                PromptReply answer;
                boolean timedOut = false;
                try {
                    answer = reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    timedOut = true;
                    abortQuietly();
                    answer = reply.get(ABORT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
                Usage usage = answer.fleetUsage();
                if (timedOut) {
                    return new Outcome(Ending.TIMED_OUT, answer.text(), usage, "timed out");
                }
                if (aborted || answer.aborted()) {
                    return new Outcome(Ending.ABORTED, answer.text(), usage, "aborted");
                }
                if (!answer.completed()) {
                    return new Outcome(Ending.FAILED, answer.text(), usage,
                            answer.error().name() + ": " + answer.error().message());
                }
                return new Outcome(Ending.ANSWERED, answer.text(), usage, null);
            } catch (TimeoutException e) {
                return new Outcome(aborted ? Ending.ABORTED : Ending.TIMED_OUT, null, null, "the session did not stop after abort");
            } catch (ExecutionException e) {
                return new Outcome(aborted ? Ending.ABORTED : Ending.FAILED, null, null, "OpenCode: " + e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abortQuietly();
                return new Outcome(Ending.ABORTED, null, null, "interrupted");
            } finally {
                try {
                    listening.close();
                } catch (Exception e) {
                    // listener removal cannot fail in a way that matters
                }
            }
        }

        @Override
        public void abort() {
            aborted = true;
            abortQuietly();
        }

        private void abortQuietly() {
            try {
                client.abort(session.id(), session.directory());
            } catch (OpencodeException e) {
                LOG.warnf("Abort of session %s failed: %s", session.id(), e.getMessage());
            }
        }
    }
}
