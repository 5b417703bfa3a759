package io.opencodefleet.devstack.fleet;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JVM a local fleet starts in the background: a service's fast-jar, or a main class from this JVM's own
 * classpath (the broker, the scripted model, embedded PostgreSQL). It runs in its own session ({@code setsid}),
 * so it outlives {@code bin/fleet up} and a Ctrl-C in that terminal; its output goes to a log file. The same
 * description starts it again after it stopped (a restart with the same settings).
 */
final class JavaProcess {

    private final List<String> arguments;
    private final List<String> jvmOptions;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<String> prefix = new ArrayList<>();

    private JavaProcess(List<String> jvmOptions, List<String> arguments) {
        this.jvmOptions = List.copyOf(jvmOptions);
        this.arguments = arguments;
    }

    static JavaProcess jar(List<String> jvmOptions, Path jar) {
        return new JavaProcess(jvmOptions, List.of("-jar", jar.toString()));
    }

    static JavaProcess mainClass(List<String> jvmOptions, Class<?> type, String... args) {
        List<String> arguments = new ArrayList<>(List.of("-cp", System.getProperty("java.class.path"), type.getName()));
        arguments.addAll(List.of(args));
        return new JavaProcess(jvmOptions, arguments);
    }

    JavaProcess property(String key, Object value) {
        properties.put(key, String.valueOf(value));
        return this;
    }

    JavaProcess properties(Map<String, String> more) {
        properties.putAll(more);
        return this;
    }

    /** Runs it through {@code command} (e.g. {@code ip netns exec <namespace>}: on a test network's host). */
    JavaProcess prefix(List<String> command) {
        prefix.clear();
        prefix.addAll(command);
        return this;
    }

    JavaProcess env(String key, String value) {
        environment.put(key, value);
        return this;
    }

    JavaProcess environment(Map<String, String> more) {
        environment.putAll(more);
        return this;
    }

    /** Starts it with its output in {@code log}: appended to what is there when {@code append}, else replacing it. */
    ProcessHandle start(Path log, boolean append) {
        List<String> command = new ArrayList<>(prefix);
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            command.add(setsid.toString());
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(arguments);
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(append ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.to(log.toFile()));
            builder.environment().putAll(environment);
            return builder.start().toHandle();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
