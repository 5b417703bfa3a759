package io.opencodefleet.common.messages;

/** Kafka topic and consumer-group names fixed by the design; users and dashboards depend on them. */
public final class Topics {
    public static final String MISSIONS = "fleet.missions";
    public static final String TASKS = "fleet.tasks";
    public static final String RESULTS = "fleet.results";
    public static final String VERDICTS = "fleet.verdicts";
    public static final String PROGRESS = "fleet.progress";
    public static final String CONTROL = "fleet.control";
    public static final String EVENTS = "fleet.events";

    public static final String PLANNER_GROUP = "fleet-planner";
    public static final String WORKERS_GROUP = "fleet-workers";
    public static final String REVIEWERS_GROUP = "fleet-reviewers";

    public static final String DLQ_SUFFIX = ".dlq";

    public static String dlq(String topic) {
        return topic + DLQ_SUFFIX;
    }

    public static final java.util.List<String> ALL = java.util.List.of(MISSIONS, TASKS, RESULTS, VERDICTS, PROGRESS, CONTROL, EVENTS);

    private Topics() {
    }
}
