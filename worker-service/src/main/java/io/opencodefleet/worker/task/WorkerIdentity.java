package io.opencodefleet.worker.task;

import io.opencodefleet.worker.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** This worker's name in results and heartbeats. */
@ApplicationScoped
public class WorkerIdentity {

    @Inject
    WorkerConfig config;

    private String id;

    public String id() {
        if (id == null) {
            String host = System.getenv().getOrDefault("HOSTNAME", "worker");
            id = config.worker().id().orElse(host + "-" + ProcessHandle.current().pid());
        }
        return id;
    }
}
