package io.opencodefleet.worker.task;

import io.opencodefleet.worker.WorkerConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.ChannelRegistry;
import io.smallrye.reactive.messaging.PausableChannel;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Graceful scale-in. On SIGTERM (KEDA scaling in, a rolling update) the worker stops taking assignments (its
 * channel is paused: what it fetched but did not start stays uncommitted, so another worker gets it), gives the
 * running attempts {@code fleet.worker.drain-timeout} to finish, then aborts the rest and hands them back as
 * RELEASED (another worker takes them at once, and no attempt is used up). Runs before the OpenCode server and the
 * Kafka clients stop, so every result still goes out.
 */
@ApplicationScoped
public class Drain {

    private static final Logger LOG = Logger.getLogger(Drain.class);
    /** After the hand-back, how long the aborted attempts get to publish their RELEASED results. */
    private static final Duration HAND_BACK = Duration.ofSeconds(20);

    @Inject
    ChannelRegistry channels;

    @Inject
    RunningTasks running;

    @Inject
    TaskConsumer consumer;

    @Inject
    WorkerConfig config;

    private volatile boolean draining;

    public boolean draining() {
        return draining;
    }

    void onShutdown(@Observes @Priority(100) ShutdownEvent event) {
        draining = true;
        PausableChannel tasks = channels.getPausable("tasks");
        if (tasks != null) {
            tasks.pause();
        }
        if (consumer.inProgress() == 0) {
            return;
        }
        LOG.infof("Draining: %d attempt(s) running get %s to finish", consumer.inProgress(), config.worker().drainTimeout());
        if (!await(() -> consumer.inProgress() == 0, config.worker().drainTimeout())) {
            LOG.infof("Draining: handing back %d attempt(s)", running.size());
            running.releaseAll("the worker is shutting down");
            if (!await(() -> consumer.inProgress() == 0, HAND_BACK)) {
                LOG.warnf("Draining: %d attempt(s) did not report back; Kafka gives them to another worker", consumer.inProgress());
            }
        }
        LOG.info("Drained");
    }

    private static boolean await(BooleanSupplier done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done.getAsBoolean();
            }
        }
        return true;
    }
}
