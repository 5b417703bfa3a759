package io.opencodefleet.common.opencode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a server of our own runs with, besides its binary: its own XDG data/cache/state/config homes under its state
 * root, the user's OpenCode configuration file, credentials and model catalogue (found in the environment of whoever
 * runs it: a private XDG_CONFIG_HOME would hide them), models fetch, autoupdate, LSP downloads and sharing off, and
 * the fleet's settings and agents layered over every other configuration: {@code opencode/fleet.json} (permissions
 * that never ask: a headless ask would hang the task; no snapshots: the worker commits each attempt itself, and
 * OpenCode's per-step snapshot of the tree cost 60 % of a task's time, docs/benchmarks.md) and {@code opencode/agents/<name>.json} (the read-only agents,
 * whose change tools are not even offered to the model), resources of this module.
 */
final class OpencodeConfiguration {

    private static final Logger LOG = Logger.getLogger(OpencodeConfiguration.class);
    static final List<String> AGENTS = List.of(OpencodeServer.PLANNER_AGENT, OpencodeServer.REVIEWER_AGENT);

    private OpencodeConfiguration() {
    }

    /** The variables the server gets, once its directories exist and the user's credentials are copied in. */
    static Map<String, String> environment(OpencodeServerSettings settings, String password) {
        Path root = settings.stateRoot().toAbsolutePath();
        Map<String, String> user = settings.userEnvironment();
        Map<String, String> env = new HashMap<>();
        try {
            for (String name : List.of("data", "cache", "state", "config")) {
                Files.createDirectories(root.resolve(name));
                env.put("XDG_" + name.toUpperCase(Locale.ROOT) + "_HOME", root.resolve(name).toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create OpenCode's directories under " + root, e);
        }
        // The user's own config file, named: the server's own XDG_CONFIG_HOME hides ~/.config/opencode.
        Optional.ofNullable(user.get("OPENCODE_CONFIG")).map(Path::of)
                .or(() -> userHome(user, "XDG_CONFIG_HOME", ".config").flatMap(OpencodeConfiguration::configFileIn))
                .ifPresent(file -> env.put("OPENCODE_CONFIG", file.toAbsolutePath().toString()));
        // Credentials from `opencode auth login` live in the data home; the server has its own.
        userHome(user, "XDG_DATA_HOME", ".local/share").map(dir -> dir.resolve("opencode/auth.json"))
                .filter(Files::isRegularFile).ifPresent(auth -> copyOnce(auth, root.resolve("data/opencode/auth.json")));
        // Models fetch is off: reuse the user's cached models.dev catalogue, if any, so named models resolve.
        Optional.ofNullable(user.get("OPENCODE_MODELS_PATH"))
                .or(() -> userHome(user, "XDG_CACHE_HOME", ".cache").map(dir -> dir.resolve("opencode/models.json"))
                        .filter(Files::isRegularFile).map(Path::toString))
                .ifPresent(models -> env.put("OPENCODE_MODELS_PATH", models));
        env.put("OPENCODE_SERVER_PASSWORD", password);
        env.put("OPENCODE_DISABLE_MODELS_FETCH", "true");
        env.put("OPENCODE_DISABLE_AUTOUPDATE", "true");
        env.put("OPENCODE_DISABLE_LSP_DOWNLOAD", "true");
        env.put("OPENCODE_DISABLE_SHARE", "true");
        env.put("OPENCODE_CONFIG_CONTENT", configContent(user.get("OPENCODE_CONFIG_CONTENT"), settings.configContent()));
        return env;
    }

    /** The user's inline config, then the settings' config, then the fleet's settings and agents, merged in that order. */
    static String configContent(String userInline, String settingsContent) {
        ObjectNode merged = OpencodeClient.JSON.createObjectNode();
        try {
            for (String json : new String[] {userInline, settingsContent}) {
                if (json != null && !json.isBlank()) {
                    merge(merged, OpencodeClient.JSON.readTree(json));
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("OpenCode configuration is not JSON: " + e.getMessage(), e);
        }
        merge(merged, resource("opencode/fleet.json"));
        ObjectNode agents = OpencodeClient.JSON.createObjectNode();
        AGENTS.forEach(agent -> agents.set(agent, resource("opencode/agents/" + agent + ".json")));
        merge(merged, OpencodeClient.JSON.createObjectNode().set("agent", agents));
        return merged.toString();
    }

    private static JsonNode resource(String name) {
        try (InputStream in = OpencodeConfiguration.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no resource " + name);
            }
            return OpencodeClient.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    private static void merge(ObjectNode target, JsonNode source) {
        if (!source.isObject()) {
            throw new IllegalArgumentException("OpenCode configuration must be a JSON object");
        }
        source.fields().forEachRemaining(field -> {
            if (target.get(field.getKey()) instanceof ObjectNode existing && field.getValue().isObject()) {
                merge(existing, field.getValue());
            } else {
                target.set(field.getKey(), field.getValue().deepCopy());
            }
        });
    }

    /** {@code $<variable>}, else {@code $HOME/<fallback>}: the user's XDG directory, if the environment tells. */
    private static Optional<Path> userHome(Map<String, String> user, String variable, String fallback) {
        String explicit = user.get(variable);
        if (explicit != null && !explicit.isBlank()) {
            return Optional.of(Path.of(explicit));
        }
        String home = user.get("HOME");
        return home == null || home.isBlank() ? Optional.empty() : Optional.of(Path.of(home, fallback));
    }

    private static Optional<Path> configFileIn(Path userConfigHome) {
        return Stream.of("opencode.json", "opencode.jsonc", "config.json").map(name -> userConfigHome.resolve("opencode").resolve(name))
                .filter(Files::isRegularFile).findFirst();
    }

    private static void copyOnce(Path from, Path to) {
        if (Files.exists(to)) {
            return;
        }
        try {
            Files.createDirectories(to.getParent());
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            LOG.warnf("cannot copy the user's OpenCode credentials: %s", e.getMessage());
        }
    }
}
