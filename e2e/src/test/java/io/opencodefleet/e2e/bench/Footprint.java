package io.opencodefleet.e2e.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What a service holds: its live heap and the bytes under a directory. */
final class Footprint {

    private Footprint() {
    }

    /**
     * The process's used heap right after a full collection ({@code jcmd GC.run}, then {@code GC.heap_info}), in
     * bytes: the sum over the heap's lines ("total ..K, used ..K": G1's one, or the generations of the others).
     */
    static long liveHeap(long pid) throws Exception {
        jcmd(pid, "GC.run");
        Matcher used = Pattern.compile("total \\d+K, used (\\d+)K").matcher(jcmd(pid, "GC.heap_info"));
        long kib = 0;
        boolean found = false;
        while (used.find()) {
            kib += Long.parseLong(used.group(1));
            found = true;
        }
        if (!found) {
            throw new IllegalStateException("no heap figure from jcmd " + pid);
        }
        return kib * 1024;
    }

    /** The sizes of the regular files under {@code dir} (0 when it does not exist). */
    static long bytesUnder(Path dir) {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(Files::isRegularFile).mapToLong(path -> {
                try {
                    return Files.size(path);
                } catch (IOException e) {
                    return 0; // deleted meanwhile
                }
            }).sum();
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("cannot measure " + dir, e);
        }
    }

    static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    private static String jcmd(long pid, String command) throws Exception {
        Process process = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        process.waitFor();
        return output;
    }
}
