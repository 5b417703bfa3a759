package io.opencodefleet.common.health;

import io.opencodefleet.common.retry.Retrier;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Which dependencies a handler is waiting for right now (PostgreSQL, the broker, a git remote, OpenCode), and why. */
@ApplicationScoped
public class Dependencies implements Retrier.Trouble {

    private final Map<String, String> failing = new ConcurrentHashMap<>();

    @Override
    public void failing(String dependency, String reason) {
        failing.put(dependency, reason);
    }

    @Override
    public void recovered(String dependency) {
        failing.remove(dependency);
    }

    public Map<String, String> failing() {
        return Map.copyOf(failing);
    }
}
