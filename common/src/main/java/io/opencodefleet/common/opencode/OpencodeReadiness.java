package io.opencodefleet.common.opencode;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready while one of the service's OpenCode servers does not answer {@code /global/health}; {@code /q/health/ready}
 * names each server and its state. A service that has started none (yet) is ready.
 */
@Readiness
@ApplicationScoped
public class OpencodeReadiness implements HealthCheck {

    @Inject
    OpencodeServers servers;

    @Inject
    OpencodeConfig config;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("OpenCode servers").up();
        servers.all().forEach((name, server) -> {
            boolean up = server.client().healthy(config.healthTimeout());
            response.withData(name, up ? "UP" : "DOWN");
            if (!up) {
                response.down();
            }
        });
        return response.build();
    }
}
