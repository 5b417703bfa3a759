package io.opencodefleet.e2e.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The checked-in Grafana dashboards and Prometheus files, read as the tests need them. */
final class ObservabilityFiles {

    static final ObjectMapper JSON = new ObjectMapper();
    static final YAMLMapper YAML = new YAMLMapper();

    static final Path ROOT = Path.of(System.getProperty("fleet.project.root", "..")).toAbsolutePath().normalize();
    static final Path DASHBOARDS = ROOT.resolve("grafana/dashboards");
    static final Path PROMETHEUS_CONFIG = ROOT.resolve("deploy/prometheus/prometheus.yml");
    static final Path ALERT_RULES = ROOT.resolve("deploy/prometheus/rules/fleet-alerts.yaml");

    /** One PromQL expression of a panel, with where it comes from. */
    record PanelQuery(String dashboard, String panel, String refId, String expr, boolean instant) {
        @Override
        public String toString() {
            return dashboard + " / " + panel + " / " + refId;
        }
    }

    record AlertRule(String name, String expr) {
    }

    private ObservabilityFiles() {
    }

    static List<Path> dashboardFiles() {
        try (Stream<Path> files = Files.list(DASHBOARDS)) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    static JsonNode readYaml(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Every panel of a dashboard, including those nested in collapsed rows. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    static List<PanelQuery> queries(JsonNode dashboard) {
        List<PanelQuery> queries = new ArrayList<>();
        for (JsonNode panel : panels(dashboard)) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(new PanelQuery(dashboard.path("title").asText(), panel.path("title").asText(),
                        target.path("refId").asText(), target.path("expr").asText(), target.path("instant").asBoolean(false)));
            }
        }
        return queries;
    }

    static List<AlertRule> alertRules() {
        List<AlertRule> rules = new ArrayList<>();
        for (JsonNode group : readYaml(ALERT_RULES).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                rules.add(new AlertRule(rule.path("alert").asText(rule.path("record").asText()), rule.path("expr").asText()));
            }
        }
        return rules;
    }
}
