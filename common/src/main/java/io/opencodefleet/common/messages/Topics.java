package io.opencodefleet.common.messages;

import java.util.List;

/** Kafka topic and consumer-group names fixed by the design; users and dashboards depend on them. */
public final class Topics {
    public static final String MISSIONS = "fleet.missions";
    public static final String TASKS = "fleet.tasks";
    public static final String RESULTS = "fleet.results";
    public static final String REVIEWS = "fleet.reviews";
    public static final String VERDICTS = "fleet.verdicts";
    public static final String PROGRESS = "fleet.progress";
    public static final String CONTROL = "fleet.control";
    public static final String EVENTS = "fleet.events";

    public static final String PLANNER_GROUP = "fleet-planner";
    public static final String WORKERS_GROUP = "fleet-workers";
    public static final String REVIEWERS_GROUP = "fleet-reviewers";

    public static final String DLQ_SUFFIX = ".dlq";

    public static final List<String> ALL = List.of(MISSIONS, TASKS, RESULTS, REVIEWS, VERDICTS, PROGRESS, CONTROL, EVENTS);

    /**
     * The topics whose consumers send a record that can never succeed to its dead-letter topic. The broadcast
     * topics ({@code fleet.control}, {@code fleet.events}: every listener hears every record, and the planner alone
     * writes them) are not among them: a listener skips a record it cannot read.
     */
    public static final List<String> CONSUMED = List.of(MISSIONS, TASKS, RESULTS, REVIEWS, VERDICTS, PROGRESS);

    public static String dlq(String topic) {
        return topic + DLQ_SUFFIX;
    }

    private Topics() {
    }
}
