package io.opencodefleet.common.retry;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * Runs an action until it succeeds while its failures are transient (a database restarting, a broker or git
 * remote briefly away), waiting longer each time (with jitter, up to {@code maxDelay}); rethrows at once what is
 * not transient, and gives up when {@code stop} says so (the service is stopping) or after {@code maxTries}. While
 * it waits, {@link Trouble} hears which dependency is down, so the service can report itself not ready.
 * A handler that retries this way does not acknowledge its record: "transient is not invalid".
 */
public final class Retrier {

    private static final Logger LOG = Logger.getLogger(Retrier.class);

    /** Hears that a dependency is failing and when it works again (a readiness check, say). */
    public interface Trouble {
        void failing(String dependency, String reason);

        void recovered(String dependency);

        Trouble NONE = new Trouble() {
            @Override
            public void failing(String dependency, String reason) {
            }

            @Override
            public void recovered(String dependency) {
            }
        };
    }

    private final Duration firstDelay;
    private final Duration maxDelay;
    private final int maxTries;
    private final Trouble trouble;
    private final BooleanSupplier stop;

    public Retrier(Duration firstDelay, Duration maxDelay, int maxTries, Trouble trouble, BooleanSupplier stop) {
        this.firstDelay = firstDelay;
        this.maxDelay = maxDelay;
        this.maxTries = maxTries;
        this.trouble = trouble;
        this.stop = stop;
    }

    /** Forever (until stopped), starting at {@code firstDelay}. */
    public static Retrier forever(Duration firstDelay, Duration maxDelay, Trouble trouble, BooleanSupplier stop) {
        return new Retrier(firstDelay, maxDelay, Integer.MAX_VALUE, trouble, stop);
    }

    public Retrier withMaxTries(int tries) {
        return new Retrier(firstDelay, maxDelay, tries, trouble, stop);
    }

    public <T> T call(String dependency, String what, Predicate<Throwable> isTransient, Callable<T> action) {
        Duration delay = firstDelay;
        for (int tries = 1; ; tries++) {
            try {
                T result = action.call();
                if (tries > 1) {
                    LOG.infof("%s worked again after %d tries", what, tries);
                    trouble.recovered(dependency);
                }
                return result;
            } catch (Exception e) {
                if (!isTransient.test(e) || tries >= maxTries || stop.getAsBoolean()) {
                    if (tries > 1) {
                        trouble.recovered(dependency);
                    }
                    throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
                }
                String reason = rootMessage(e);
                trouble.failing(dependency, reason);
                LOG.warnf("%s failed (%s unavailable: %s); try %d again in %d ms", what, dependency, reason, tries + 1, delay.toMillis());
                sleep(delay);
                long next = Math.min(maxDelay.toMillis(), delay.toMillis() * 2);
                delay = Duration.ofMillis(next / 2 + ThreadLocalRandom.current().nextLong(next / 2 + 1));
            }
        }
    }

    public void run(String dependency, String what, Predicate<Throwable> isTransient, Runnable action) {
        call(dependency, what, isTransient, () -> {
            action.run();
            return null;
        });
    }

    /** The innermost cause's message, which names what went wrong ("Connection refused", say). */
    public static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    /** Whether {@code error} or one of its causes is of {@code type}. */
    public static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    private void sleep(Duration delay) {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to retry", e);
        }
    }
}
