package io.opencodefleet.common.sandbox;

import io.opencodefleet.common.process.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * Where the fleet runs code it does not trust (an agent's OpenCode server and the tools it runs, a mission's
 * verify commands): a cleared environment plus an allowlist, and with bubblewrap a mount namespace that shows
 * the system read-only, only the given directories writable and nothing else of the machine (no service's work
 * dir, state dir, home or credentials), and a PID namespace whose {@code /proc} holds the sandbox's processes only
 * (so {@code /proc/<pid>/environ} of the services is out of reach). Without bubblewrap ({@link Mode#ENVIRONMENT})
 * only the environment is cleared.
 *
 * <p>bubblewrap itself is started with the cleared environment: in a new PID namespace its first process is PID 1,
 * and whatever environment it was started with would be readable there.
 */
public final class Sandbox {

    private static final Logger LOG = Logger.getLogger(Sandbox.class);
    private static final String BWRAP = "bwrap";
    private static final List<String> SYSTEM = List.of("/usr", "/etc", "/opt");
    private static volatile Boolean bubblewrapWorks;

    public enum Mode {
        /** bubblewrap: own mount, PID, IPC and UTS namespaces, cleared environment. */
        BUBBLEWRAP,
        /** Cleared environment only (no bubblewrap on this machine, or a container that cannot run it). */
        ENVIRONMENT;

        /** {@code auto}: bubblewrap when it works here, else the environment only (said once in the log). */
        public static Mode of(String setting) {
            return switch (setting.toLowerCase(java.util.Locale.ROOT)) {
                case "bubblewrap", "bwrap" -> BUBBLEWRAP;
                case "environment", "env", "none" -> ENVIRONMENT;
                default -> bubblewrapWorks() ? BUBBLEWRAP : ENVIRONMENT;
            };
        }
    }

    private final Mode mode;
    private final Set<Path> writable = new LinkedHashSet<>();
    private final Set<Path> readable = new LinkedHashSet<>();
    private final Map<String, String> environment = new LinkedHashMap<>();

    private Sandbox(Mode mode) {
        this.mode = mode;
        environment.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        environment.put("LANG", "C.UTF-8");
        environment.put("TERM", "dumb");
    }

    public static Sandbox of(Mode mode) {
        return new Sandbox(mode);
    }

    public Mode mode() {
        return mode;
    }

    /** A directory the sandboxed code may change (a workspace, the server's own data). */
    public Sandbox writable(Path dir) {
        writable.add(dir.toAbsolutePath().normalize());
        return this;
    }

    /** A file or directory it may read (the OpenCode binary, a config file); the system dirs are readable anyway. */
    public Sandbox readable(Path path) {
        readable.add(path.toAbsolutePath().normalize());
        return this;
    }

    /** An environment variable it gets; nothing else of the caller's environment reaches it. */
    public Sandbox env(String name, String value) {
        environment.put(name, Objects.requireNonNull(value, name));
        return this;
    }

    public Sandbox env(Map<String, String> values) {
        values.forEach(this::env);
        return this;
    }

    /** The environment the sandboxed command gets. */
    public Map<String, String> environment() {
        return Map.copyOf(environment);
    }

    /** {@code command} as it runs in this sandbox, from {@code dir}: prefix it and start it with {@link #environment()} alone. */
    public List<String> wrap(List<String> command, Path dir) {
        if (mode == Mode.ENVIRONMENT) {
            return List.copyOf(command);
        }
        List<String> wrapped = new ArrayList<>(List.of(BWRAP, "--die-with-parent", "--new-session", "--unshare-pid",
                "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox"));
        for (String system : SYSTEM) {
            wrapped.addAll(List.of("--ro-bind-try", system, system));
        }
        for (String link : List.of("bin", "sbin", "lib", "lib32", "lib64")) {
            Path host = Path.of("/" + link);
            if (Files.isSymbolicLink(host)) {
                wrapped.addAll(List.of("--symlink", "usr/" + link, "/" + link));
            } else if (Files.isDirectory(host)) {
                wrapped.addAll(List.of("--ro-bind", host.toString(), host.toString()));
            }
        }
        wrapped.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--tmpfs", "/run"));
        for (Path path : readable) {
            wrapped.addAll(List.of("--ro-bind-try", path.toString(), path.toString()));
        }
        for (Path path : writable) {
            wrapped.addAll(List.of("--bind", path.toString(), path.toString()));
        }
        wrapped.addAll(List.of("--chdir", dir.toAbsolutePath().normalize().toString(), "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** A {@link ProcessRunner} for {@code command} in this sandbox, from {@code dir}. */
    public ProcessRunner runner(List<String> command, Path dir) {
        return ProcessRunner.command(wrap(command, dir)).in(dir).clearEnvironment().env(environment);
    }

    /** Whether bubblewrap runs here (it needs namespaces: some containers refuse it); asked once. */
    public static boolean bubblewrapWorks() {
        if (bubblewrapWorks == null) {
            boolean works;
            try {
                works = new Sandbox(Mode.BUBBLEWRAP).runner(List.of("true"), Path.of("/tmp")).timeout(Duration.ofSeconds(10)).run().succeeded();
            } catch (RuntimeException e) {
                works = false;
            }
            if (!works) {
                LOG.warn("bubblewrap (bwrap) does not run here: agents and verify commands get a cleared environment only,"
                        + " not their own mount and PID namespaces (docs/operations.md, Trust model)");
            }
            bubblewrapWorks = works;
        }
        return bubblewrapWorks;
    }
}
