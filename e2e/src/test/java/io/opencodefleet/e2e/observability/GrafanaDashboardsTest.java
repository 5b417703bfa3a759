package io.opencodefleet.e2e.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The dashboards' shape: a datasource variable and no hard-coded data source, and the panels the issue asks for. */
class GrafanaDashboardsTest {

    /** The design's fleet metrics (DESIGN.md "Metrics"), each shown somewhere on "Fleet overview". */
    private static final Set<String> OVERVIEW_METRICS = Set.of("fleet_missions_total", "fleet_tasks_total",
            "fleet_task_duration_seconds_bucket", "fleet_dispatch_latency_seconds_bucket", "fleet_queue_depth",
            "fleet_worker_slots", "fleet_tokens_total", "fleet_cost_usd_total", "fleet_review_verdicts_total",
            "fleet_dlq_records_total", "fleet_tasks_dispatched_total", "fleet_missions_by_state");
    private static final Set<String> SERVICES_METRIC_PREFIXES = Set.of("jvm_", "http_server_", "kafka_consumer_", "kafka_producer_", "agroal_");

    @Test
    void everyPanelUsesTheDatasourceVariable() {
        List<String> problems = new ArrayList<>();
        Set<String> uids = new HashSet<>();
        for (Path file : ObservabilityFiles.dashboardFiles()) {
            JsonNode dashboard = ObservabilityFiles.readJson(file);
            String name = file.getFileName().toString();
            if (!uids.add(dashboard.path("uid").asText()) || dashboard.path("title").asText().isEmpty()) {
                problems.add(name + ": needs a unique uid and a title");
            }
            boolean datasourceVariable = false;
            for (JsonNode variable : dashboard.path("templating").path("list")) {
                datasourceVariable |= variable.path("name").asText().equals("datasource") && variable.path("type").asText().equals("datasource")
                        && variable.path("query").asText().equals("prometheus");
            }
            if (!datasourceVariable) {
                problems.add(name + ": no `datasource` variable of type datasource for prometheus");
            }
            // Every "uid" anywhere, panel, target or variable, must be the variable: no data source is hard-coded.
            dashboard.findParents("uid").stream().filter(p -> p.has("type")).forEach(ds -> {
                if (!ds.path("uid").asText().equals("${datasource}")) {
                    problems.add(name + ": data source " + ds + " is not ${datasource}");
                }
            });
            Set<Integer> ids = new HashSet<>();
            for (JsonNode panel : ObservabilityFiles.panels(dashboard)) {
                String where = name + " / " + panel.path("title").asText();
                if (!ids.add(panel.path("id").asInt())) {
                    problems.add(where + ": duplicate panel id " + panel.path("id"));
                }
                JsonNode grid = panel.path("gridPos");
                if (grid.path("x").asInt() + grid.path("w").asInt() > 24 || grid.path("w").asInt() < 1 || grid.path("h").asInt() < 1) {
                    problems.add(where + ": gridPos outside the 24 columns: " + grid);
                }
                if (!panel.path("type").asText().equals("row") && (panel.path("targets").isEmpty()
                        || !panel.path("datasource").path("uid").asText().equals("${datasource}"))) {
                    problems.add(where + ": needs targets and the ${datasource} data source");
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void overviewShowsEveryFleetMetricAndServicesEveryBoundFamily() {
        Set<String> overview = metricsOf("Fleet overview");
        assertThat(overview).containsAll(OVERVIEW_METRICS);
        Set<String> services = metricsOf("Fleet services");
        for (String prefix : SERVICES_METRIC_PREFIXES) {
            assertThat(services).as("Fleet services shows " + prefix + "*").anyMatch(m -> m.startsWith(prefix));
        }
    }

    @Test
    void provisioningLoadsTheDashboardsFolderAndAPrometheusDatasource() {
        JsonNode datasources = ObservabilityFiles.readYaml(ObservabilityFiles.ROOT.resolve("grafana/provisioning/datasources/prometheus.yaml"));
        assertThat(datasources.path("datasources").get(0).path("type").asText()).isEqualTo("prometheus");
        JsonNode providers = ObservabilityFiles.readYaml(ObservabilityFiles.ROOT.resolve("grafana/provisioning/dashboards/fleet.yaml"));
        String path = providers.path("providers").get(0).path("options").path("path").asText();
        // compose mounts grafana/dashboards there.
        assertThat(ObservabilityFiles.ROOT.resolve("deploy/compose/compose.yaml")).content().contains("../../grafana/dashboards:" + path + ":ro");
    }

    private static Set<String> metricsOf(String title) {
        Set<String> metrics = new TreeSet<>();
        for (Path file : ObservabilityFiles.dashboardFiles()) {
            JsonNode dashboard = ObservabilityFiles.readJson(file);
            if (dashboard.path("title").asText().equals(title)) {
                ObservabilityFiles.queries(dashboard).forEach(q -> metrics.addAll(PromqlNames.metrics(q.expr())));
            }
        }
        assertThat(metrics).as("queries of " + title).isNotEmpty();
        return metrics;
    }
}
