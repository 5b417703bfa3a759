package io.opencodefleet.devstack.fleet;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;

/**
 * Stands in for a Quarkus service in {@link LocalFleetTest}: prints the settings it got (of its Kafka credentials
 * only the user), listens on {@code quarkus.http.port} and answers {@code /q/health/ready} on
 * {@code quarkus.management.port} only, as a service does, and as a worker starts a child process the way a worker
 * starts its {@code opencode serve}.
 */
public final class FakeService {

    private FakeService() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Map<String, String> seen = new TreeMap<>();
        System.getProperties().forEach((key, value) -> {
            String name = key.toString();
            if (name.startsWith("fleet.") || name.startsWith("kafka.") || name.startsWith("quarkus.")) {
                seen.put(name, value.toString());
            }
        });
        seen.forEach((key, value) -> System.out.println("property " + key + "=" + value));
        for (String variable : new String[] {"OPENCODE_CONFIG", "FLEET_MODEL", "EXTRA",
                "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM"}) {
            if (System.getenv(variable) != null) {
                System.out.println("env " + variable + "=" + System.getenv(variable));
            }
        }
        String jaas = System.getenv("KAFKA_SASL_JAAS_CONFIG");
        if (jaas != null) {
            System.out.println("kafka user " + jaas.replaceAll(".*username=\"([^\"]*)\".*", "$1"));
        }
        Process child = System.getProperty("fleet.worker.id") != null ? new ProcessBuilder("sleep", "600").start() : null;
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.getInteger("quarkus.http.port")), 16);
        server.start();
        HttpServer management = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.getInteger("quarkus.management.port")), 16);
        management.createContext("/q/health/ready", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        management.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (child != null) {
                child.destroy();
            }
            server.stop(0);
            management.stop(0);
        }));
        System.out.println("fake service ready");
        System.out.flush();
        Thread.currentThread().join();
    }
}
