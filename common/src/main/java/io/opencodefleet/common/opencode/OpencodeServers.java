package io.opencodefleet.common.opencode;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opencodefleet.common.sandbox.Sandbox;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A service's OpenCode servers, as {@code fleet.opencode.*} says: each one an {@code opencode serve} of our own in a
 * directory of its own under {@code home}, or with {@code url} the one attached server for all. Counts their restarts
 * ({@code fleet.opencode.restarts}), answers the readiness check ({@link OpencodeReadiness}), and stops them when
 * the service stops (after the worker's drain).
 */
@ApplicationScoped
public class OpencodeServers {

    private static final Logger LOG = Logger.getLogger(OpencodeServers.class);

    @Inject
    OpencodeConfig config;

    @Inject
    MeterRegistry metrics;

    private final Map<String, OpencodeServer> servers = new ConcurrentHashMap<>();
    private final AtomicBoolean counted = new AtomicBoolean();

    /**
     * The server of a task slot called {@code name} (e.g. {@code slot-1}), contained: its agent may change
     * {@code workspace} and the server's own directory, nothing else of the machine, and of the service's environment
     * it gets only what {@code fleet.opencode.environment} names. With {@code fleet.opencode.url}, the attached server.
     */
    public OpencodeServer contained(String name, Path workspace) {
        return start(name, () -> {
            Sandbox sandbox = Sandbox.of(Sandbox.Mode.of(config.sandbox())).writable(workspace);
            environment().forEach((variable, value) -> {
                if (config.environment().stream().anyMatch(pattern -> matches(pattern, variable))) {
                    sandbox.env(variable, value);
                }
            });
            return sandbox;
        });
    }

    /** A server not contained: it runs with the service's own environment. With {@code fleet.opencode.url}, the attached server. */
    public OpencodeServer uncontained(String name) {
        return start(name, () -> null);
    }

    /** With {@code fleet.opencode.url} the attached server, the same for every name; else a new one in {@code home/name}. */
    private OpencodeServer start(String name, Supplier<Sandbox> sandbox) {
        if (counted.compareAndSet(false, true)) {
            FunctionCounter.builder("fleet.opencode.restarts", servers, all -> all.values().stream().mapToInt(OpencodeServer::restarts).sum())
                    .description("Restarts of the service's OpenCode servers (died, unhealthy, or past their memory limit)").register(metrics);
        }
        if (config.url().isPresent()) {
            return servers.computeIfAbsent("attached", key -> {
                LOG.infof("Using the OpenCode server at %s", config.url().get());
                return OpencodeServer.attach(new OpencodeEndpoint(config.url().get(), null, config.password().orElse(null)));
            });
        }
        Sandbox contained = sandbox.get();
        OpencodeServer server = OpencodeServer.start(new OpencodeServerSettings(config.bin().orElseGet(OpencodeBinary::locate),
                config.home().resolve(name), null, environment(), config.maxRssMb() * 1024 * 1024, config.startupTimeout(),
                config.healthTimeout(), null, contained));
        servers.put(name, server);
        LOG.infof("OpenCode %s at %s (%s)", name, server.endpoint().baseUri(), contained == null ? "not contained" : contained.mode());
        return server;
    }

    /** The servers started so far, by name. */
    public Map<String, OpencodeServer> all() {
        return Map.copyOf(servers);
    }

    @PreDestroy
    void stop() {
        servers.values().forEach(OpencodeServer::close);
    }

    /** The service's own environment: read here, where the service meets the library, and handed on explicitly. */
    private static Map<String, String> environment() {
        return System.getenv();
    }

    private static boolean matches(String pattern, String name) {
        if (pattern.startsWith("*")) {
            return name.endsWith(pattern.substring(1));
        }
        if (pattern.endsWith("*")) {
            return name.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return name.equals(pattern);
    }
}
