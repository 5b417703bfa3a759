package io.opencodefleet.planner.kafka;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** The planner's admin client, from the same {@code kafka.*} configuration as every channel (TLS and SASL included). */
@ApplicationScoped
public class KafkaAdmin {

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private Admin admin;

    public synchronized Admin get() {
        if (admin == null) {
            Map<String, Object> config = new HashMap<>(kafkaConfig);
            config.keySet().removeIf(key -> !AdminClientConfig.configNames().contains(key));
            config.put(AdminClientConfig.CLIENT_ID_CONFIG, "fleet-planner-admin");
            config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
            config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
            admin = Admin.create(config);
        }
        return admin;
    }

    synchronized void stop(@Observes ShutdownEvent event) {
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(5));
        }
    }
}
