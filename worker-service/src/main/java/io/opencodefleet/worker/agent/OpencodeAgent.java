package io.opencodefleet.worker.agent;

import io.opencodefleet.common.health.Dependencies;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.opencode.OpencodeClient;
import io.opencodefleet.common.opencode.OpencodeConfig;
import io.opencodefleet.common.opencode.OpencodeEndpoint;
import io.opencodefleet.common.opencode.OpencodeException;
import io.opencodefleet.common.opencode.OpencodeServer;
import io.opencodefleet.common.opencode.OpencodeServers;
import io.opencodefleet.common.opencode.OpencodeSession;
import io.opencodefleet.common.opencode.PromptReply;
import io.opencodefleet.worker.WorkerConfig;
import io.opencodefleet.worker.attach.AttachProxy;
import io.opencodefleet.worker.task.Workspaces;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.jboss.logging.Logger;

/**
 * The worker's OpenCode: an {@code opencode serve} per task slot, each with its own password, data directories and
 * sandbox (only its slot's working tree and its own data writable, none of the worker's secrets in its environment),
 * holding one mission's sessions at a time, so one mission's agent can neither read nor drive another's session; or one existing server for every slot
 * ({@code fleet.opencode.url}, e.g. an agent container beside the worker). The servers come from
 * {@link OpencodeServers}. One session per task attempt. Completion comes from OpenCode's reply to the prompt; token
 * progress from its event stream; the timeout and cancel abort the session.
 */
@ApplicationScoped
public class OpencodeAgent implements CodingAgent {

    private static final Logger LOG = Logger.getLogger(OpencodeAgent.class);
    private static final Duration ABORT_GRACE = Duration.ofSeconds(15);
    /**
     * The errors that are the agent's own doing (its output, its context); every other one (the provider's API,
     * its credentials, an unknown failure) is the fleet's trouble and uses up no attempt.
     */
    private static final Set<String> AGENT_ERRORS = Set.of("MessageOutputLengthError", "ContextOverflowError",
            "ContentFilterError", "StructuredOutputError");

    @Inject
    WorkerConfig config;

    @Inject
    Workspaces workspaces;

    @Inject
    OpencodeServers servers;

    @Inject
    OpencodeConfig opencode;

    @Inject
    Dependencies readiness;

    /** The server of each slot (with {@code fleet.opencode.url}, the same attached server for every slot), once started. */
    private final Map<Path, CompletableFuture<Slot>> slots = new ConcurrentHashMap<>();

    /** One slot's server, how many sessions run on it, and the mission whose sessions it holds (null: not known). */
    private record Slot(OpencodeServer server, AtomicInteger active, AtomicReference<String> mission) {
    }

    /**
     * Every slot's server starts at once, contained to the slot's working tree, without holding up the worker's own
     * start: the worker joins its consumer group and clones a first assignment's repository meanwhile, and only the
     * session waits for its slot's server (docs/benchmarks.md, cold start). Not ready until every server runs.
     */
    void start(@Observes StartupEvent event) {
        readiness.failing("opencode", "starting the slots' OpenCode servers");
        workspaces.slots().forEach(dir -> slots.put(dir, startServer(dir)));
        updateReadiness(); // a server may have started before its future was in the map
    }

    private CompletableFuture<Slot> startServer(Path dir) {
        String name = dir.getFileName().toString();
        CompletableFuture<Slot> started = CompletableFuture.supplyAsync(() -> new Slot(servers.contained(name, dir), new AtomicInteger(), new AtomicReference<>()),
                start -> new Thread(start, "opencode-start-" + name).start());
        started.whenComplete((slot, failure) -> updateReadiness());
        return started;
    }

    /** Ready once every slot's server runs; a server that failed to start is named until a restart of it succeeds. */
    private synchronized void updateReadiness() {
        List<CompletableFuture<Slot>> all = List.copyOf(slots.values());
        all.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst().ifPresentOrElse(
                failed -> readiness.failing("opencode", "an OpenCode server did not start: "
                        + failed.handle((slot, failure) -> failure.getMessage()).join()),
                () -> {
                    if (all.size() == workspaces.slots().size() && all.stream().allMatch(CompletableFuture::isDone)) {
                        readiness.recovered("opencode");
                    }
                });
    }

    /** The slot's server, waiting while it starts; one that failed to start is started again for the caller's retry. */
    private Slot slot(Path dir) {
        CompletableFuture<Slot> pending = slots.get(dir);
        if (pending == null) {
            throw new OpencodeException("no OpenCode server for " + dir);
        }
        try {
            return pending.join();
        } catch (java.util.concurrent.CompletionException e) {
            slots.replace(dir, pending, startServer(dir));
            updateReadiness();
            throw new OpencodeException("the OpenCode server of " + dir.getFileName() + " did not start: " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public Optional<OpencodeEndpoint> endpoint(String slotName) {
        return slots.entrySet().stream().filter(e -> e.getKey().getFileName().toString().equals(slotName)).map(Map.Entry::getValue)
                .filter(started -> started.isDone() && !started.isCompletedExceptionally()).findFirst()
                .map(started -> started.join().server().endpoint());
    }

    /** A person attaches through the worker (authenticated), never to OpenCode itself: see {@code AttachProxy}. */
    @Override
    public String attachUrl(Path directory) {
        return slots.containsKey(directory) ? config.worker().publicUrl().replaceAll("/$", "") + AttachProxy.PREFIX + directory.getFileName() : null;
    }

    @Override
    public AgentRun start(Path directory, String missionId, String title, String model, String agent, String prompt, Duration timeout,
            LongConsumer onTokens) {
        Slot slot = slot(directory);
        reserve(slot);
        try {
            OpencodeClient client = slot.server().client();
            forgetOtherMissions(slot, client, directory, missionId);
            OpencodeSession session = client.createSession(directory, title);
            Cancellable progress = client.events().filter(event -> session.id().equals(event.sessionId())).subscribe()
                    .with(event -> event.sessionUsage().ifPresent(usage -> onTokens.accept(usage.tokens().total())));
            String chosenModel = model != null && !model.isBlank() ? model : config.model().filter(m -> !m.isBlank()).orElse(null);
            CompletableFuture<PromptReply> reply = client.promptAsync(session, chosenModel, agent, prompt);
            reply.whenComplete((answer, failure) -> slot.active().decrementAndGet())
                    .whenCompleteAsync((answer, failure) -> client.sessionEnded(session, opencode.keptSessions()));
            return new Run(slot.server(), session, reply, timeout, progress);
        } catch (RuntimeException e) {
            slot.active().decrementAndGet();
            if (e instanceof OpencodeException) {
                slot.server().promptFailed(e.getMessage()); // the caller's retry gets a restarted server
            }
            throw e;
        }
    }

    /**
     * A slot's own server holds the sessions of one mission at a time: before another mission's first session on it
     * (or the first after the worker started), every session it kept is deleted, so an agent, which can reach its own
     * server, never reads an earlier mission's conversations. An attached server is shared by every slot: left alone.
     */
    private void forgetOtherMissions(Slot slot, OpencodeClient client, Path directory, String missionId) {
        if (opencode.url().isPresent() || missionId.equals(slot.mission().get())) {
            return;
        }
        int deleted = client.deleteSessions(directory);
        slot.mission().set(missionId);
        if (deleted > 0) {
            LOG.debugf("%s: %d session(s) of earlier missions deleted before %s", directory.getFileName(), deleted, missionId);
        }
    }

    /**
     * Counts a session in, after restarting the server if it died or stopped answering. A restart for memory happens
     * only while no session runs on it, since a restart kills every session of the server.
     */
    private static void reserve(Slot slot) {
        synchronized (slot) {
            if (slot.active().get() == 0 || !slot.server().client().healthy(Duration.ofSeconds(2))) {
                slot.server().ensureHealthy();
            }
            slot.active().incrementAndGet();
        }
    }

    private static final class Run implements AgentRun {
        private final OpencodeServer server;
        private final OpencodeClient client;
        private final OpencodeSession session;
        private final CompletableFuture<PromptReply> reply;
        private final Duration timeout;
        private final Cancellable progress;
        private volatile boolean aborted;

        Run(OpencodeServer server, OpencodeSession session, CompletableFuture<PromptReply> reply, Duration timeout, Cancellable progress) {
            this.server = server;
            this.client = server.client();
            this.session = session;
            this.reply = reply;
            this.timeout = timeout;
            this.progress = progress;
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
                    return new Outcome(Ending.TIMED_OUT, answer.text(), usage, "timed out", false);
                }
                if (aborted || answer.aborted()) {
                    return new Outcome(Ending.ABORTED, answer.text(), usage, "aborted", false);
                }
                if (!answer.completed()) {
                    return Outcome.failed(answer.text(), usage, answer.error().name() + ": " + answer.error().message(),
                            !AGENT_ERRORS.contains(answer.error().name()));
                }
                return new Outcome(Ending.ANSWERED, answer.text(), usage, null, false);
            } catch (TimeoutException e) {
                return aborted ? new Outcome(Ending.ABORTED, null, null, "the session did not stop after abort", false)
                        : new Outcome(Ending.TIMED_OUT, null, null, "the session did not stop after abort", false);
            } catch (ExecutionException e) {
                // OpenCode itself failed (died, dropped the connection, answered 500): not the agent's doing. A task's
                // next attempt usually lands on this worker again, so the slot's server is restarted before it.
                if (aborted) {
                    return new Outcome(Ending.ABORTED, null, null, "aborted", false);
                }
                server.promptFailed(e.getCause().getMessage());
                return Outcome.failed(null, null, "OpenCode: " + e.getCause().getMessage(), true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abortQuietly();
                return new Outcome(Ending.ABORTED, null, null, "interrupted", false);
            } finally {
                progress.cancel();
            }
        }

        @Override
        public void abort() {
            aborted = true;
            abortQuietly();
        }

        private void abortQuietly() {
            try {
                client.abort(session);
            } catch (OpencodeException e) {
                LOG.warnf("Abort of session %s failed: %s", session.id(), e.getMessage());
            }
        }
    }
}
