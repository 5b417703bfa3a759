package io.opencodefleet.common.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready while a handler waits for a dependency it needs: {@code /q/health/ready} names the dependency and the
 * last error, so an operator sees why work stands still.
 */
@Readiness
@ApplicationScoped
public class DependencyReadiness implements HealthCheck {

    @Inject
    Dependencies dependencies;

    @Override
    public HealthCheckResponse call() {
        var failing = dependencies.failing();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("fleet dependencies").status(failing.isEmpty());
        failing.forEach(response::withData);
        return response.build();
    }
}
