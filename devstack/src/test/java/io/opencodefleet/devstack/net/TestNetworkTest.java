package io.opencodefleet.devstack.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.opencodefleet.devstack.model.ScriptedModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The test network on real network namespaces: hosts reach each other and this machine reaches them on their
 * addresses, a host's link goes down and up, and nothing is left behind (also of an earlier run that crashed).
 * Skipped only where {@code ip netns add} is not permitted.
 */
class TestNetworkTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void needsNetworkNamespaces() {
        Assumptions.assumeTrue(TestNetwork.unavailable().isEmpty(),
                () -> "skipped: no test network here: " + TestNetwork.unavailable().orElse(""));
    }

    @Test
    void hostsListenOnTheirAddressesAndLoseThemWhenTheLinkGoesDown() throws Exception {
        Process model = null;
        TestNetwork network = TestNetwork.create(3);
        try {
            assertThat(network.hosts()).extracting(Host::name).containsExactly("h0", "h1", "h2");
            assertThat(network.subnet()).matches("10\\.213\\.\\d+\\.0/24");
            assertThat(network.host(1).namespace()).isEqualTo("fleet-" + network.id() + "-h1");
            assertThat(namespaces()).contains(network.host(0).namespace(), network.host(2).namespace(), network.switchNamespace());
            // Each host has its own loopback and its one interface.
            String addresses = network.host(1).exec("ip", "-4", "-o", "addr", "show");
            assertThat(addresses).contains("127.0.0.1").contains(network.host(1).address() + "/24").doesNotContain(network.host(2).address());

            // A process on h1, listening on h1's address, answers this machine.
            Host h1 = network.host(1);
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), ScriptedModel.class.getName(), ScriptedModel.HOST_OPTION + h1.address(), "0"));
            model = new ProcessBuilder(h1.command(command)).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(model.getInputStream(), StandardCharsets.UTF_8));
            String line;
            String baseUrl = null;
            while ((line = out.readLine()) != null) {
                if (line.contains("scripted model listening on ")) {
                    baseUrl = line.substring(line.indexOf("http://")).strip();
                    break;
                }
            }
            assertThat(baseUrl).startsWith("http://" + h1.address() + ":");
            URI health = URI.create(baseUrl).resolve("/_scripted/health");
            assertThat(get(health)).isEqualTo(200);
            assertThat(network.processes(h1)).contains(model.pid());

            network.linkDown(h1);
            assertThat(network.linkIsUp(h1)).isFalse();
            assertThat(get(health)).as("h1 unreachable while its link is down").isEqualTo(-1);
            network.linkUp(h1);
            assertThat(network.linkIsUp(h1)).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (get(health) != 200 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(get(health)).as("h1 back").isEqualTo(200);
        } finally {
            network.close();
        }
        assertThat(model.waitFor(10, TimeUnit.SECONDS)).as("what ran on the hosts is gone with them").isTrue();
        assertThat(namespaces()).noneMatch(n -> n.contains(network.id()));
        assertThat(run("ip", "-o", "link", "show")).doesNotContain("fl" + network.id());
    }

    @Test
    void namespacesOfACrashedRunAreRemovedByTheNext() throws Exception {
        String stale = "fleet-0dead0-h0";
        run("ip", "netns", "add", stale);
        try (TestNetwork network = TestNetwork.create(1)) {
            assertThat(namespaces()).doesNotContain(stale).contains(network.host(0).namespace());
        } finally {
            new ProcessBuilder("ip", "netns", "del", stale).start().waitFor();
        }
    }

    private static int get(URI uri) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static List<String> namespaces() throws Exception {
        return run("ip", "netns", "list").lines().map(l -> l.strip().split("\\s+")[0]).toList();
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        return output;
    }
}
