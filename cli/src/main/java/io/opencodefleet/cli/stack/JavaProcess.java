package io.opencodefleet.cli.stack;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JVM started in the background for a local fleet: a service's fast-jar, or a main class from this CLI's own
 * classpath (the broker, the scripted model, embedded PostgreSQL). It runs in its own session ({@code setsid}),
 * so it outlives {@code bin/fleet up} and a Ctrl-C in that terminal; its output goes to a log file.
 */
final class JavaProcess {

    /** Small heaps and the C1 compiler: a laptop runs a whole fleet, and these services are I/O bound. */
    private static final List<String> JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final List<String> arguments;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final Map<String, String> environment = new HashMap<>();

    private JavaProcess(List<String> arguments) {
        this.arguments = arguments;
    }

    static JavaProcess jar(Path jar) {
        return new JavaProcess(List.of("-jar", jar.toString()));
    }

    static JavaProcess mainClass(Class<?> type, String... args) {
        List<String> arguments = new ArrayList<>(List.of("-cp", System.getProperty("java.class.path"), type.getName()));
        arguments.addAll(List.of(args));
        return new JavaProcess(arguments);
    }

    JavaProcess property(String key, Object value) {
        properties.put(key, String.valueOf(value));
        return this;
    }

    JavaProcess env(String key, String value) {
        environment.put(key, value);
        return this;
    }

    ProcessHandle start(Path log) {
        List<String> command = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            command.add(setsid.toString());
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(arguments);
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().putAll(environment);
            return builder.start().toHandle();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
