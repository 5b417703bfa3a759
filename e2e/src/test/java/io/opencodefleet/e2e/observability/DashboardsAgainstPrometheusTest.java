package io.opencodefleet.e2e.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.e2e.LocalFleet;
import io.opencodefleet.e2e.observability.ObservabilityFiles.AlertRule;
import io.opencodefleet.e2e.observability.ObservabilityFiles.PanelQuery;
import io.opencodefleet.devstack.git.LocalRepository;
import io.opencodefleet.testkit.kafka.KafkaBroker;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import org.apache.kafka.clients.producer.ProducerRecord;
import io.opencodefleet.devstack.model.Match;
import io.opencodefleet.devstack.model.Rule;
import io.opencodefleet.devstack.model.Script;
import io.opencodefleet.devstack.model.ScriptedModel;
import io.opencodefleet.devstack.model.Turn;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every panel query of every dashboard and every alert expression, evaluated by Debian's real Prometheus
 * scraping a real fleet (planner, reviewer, a worker with real OpenCode and the scripted model) that has just
 * sealed a mission with one rejected attempt and dead-lettered one bad mission. A query fails when Prometheus
 * rejects it or when it returns no series although the run must have produced its data.
 */
class DashboardsAgainstPrometheusTest {

    /** Grafana's interval variables as Grafana computes them for a 1 s scrape interval and a 5 s step. */
    private static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(1);
    private static final Duration STEP = Duration.ofSeconds(5);
    private static final String RATE_INTERVAL = "6s"; // max(step + scrape interval, 4 × scrape interval)

    /** Panels that legitimately show nothing after a healthy run, and why. Their queries must still be valid. */
    private static final Map<String, String> NO_DATA_IN_A_HEALTHY_RUN = Map.of(
            "Fleet overview / Lease expiries / A", "no task outlives its lease: the counter appears at the first expiry");
    /** Metrics that a healthy run never creates, though panels and alert rules select them. */
    private static final Map<String, String> METRICS_ABSENT_IN_A_HEALTHY_RUN = Map.of(
            "fleet_lease_expired_total", "counted from the first lease expiry on");
    /** The bad mission this run sends goes to fleet.missions.dlq, so exactly this alert must fire. */
    private static final Set<String> ALERTS_THIS_RUN_FIRES = Set.of("FleetDeadLetters");

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\$(\\w+)|\\[\\[(\\w+)]]");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*(?:(.*),\\s*)?(\\w+)\\s*\\)");
    private static final Pattern REGEX_META = Pattern.compile("[.\\\\+*?()|\\[\\]{}^$]");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void everyDashboardQueryAndAlertExpressionWorksOnARealFleet() throws Exception {
        if (!Files.isExecutable(PrometheusServer.BINARY)) {
            // CI installs it (.ci/run); elsewhere say what is missing instead of failing on it.
            Assumptions.assumeTrue(System.getenv("CI") == null, "no " + PrometheusServer.BINARY);
            throw new AssertionError("no " + PrometheusServer.BINARY + ": apt-get install prometheus");
        }
        Path work = Files.createTempDirectory("fleet-prometheus-");
        Path out = ObservabilityFiles.ROOT.resolve("e2e/target/observability");
        Files.createDirectories(out);

        try (ScriptedModel model = ScriptedModel.start(script());
             LocalFleet fleet = new LocalFleet(model, 1)) {
            Path config = work.resolve("prometheus.yml");
            Files.writeString(config, scrapeConfigFor(fleet.managementUrls()));
            checkWithPromtool("config", config.toString());
            checkWithPromtool("config", "--syntax-only", ObservabilityFiles.PROMETHEUS_CONFIG.toString());
            checkWithPromtool("rules", ObservabilityFiles.ALERT_RULES.toString());

            try (PrometheusServer prometheus = PrometheusServer.start(config, work.resolve("data"), out.resolve("prometheus.log"))) {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(prometheus.targets()).as("scrape targets").isNotEmpty().allMatch(t -> t.contains(" up ")));
                Instant start = Instant.now().minusSeconds(5);

                runMissionWithARetryAndABadRecord(fleet);
                dumpMetrics(fleet.managementUrls(), out);

                // Gauges, rates and alert states need a few scrapes and rule evaluations after the run (consumers
                // commit offsets every few seconds, so queue depths settle to 0 only then): up to a minute.
                List<String> failures;
                Map<String, String> alerts;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                do {
                    Thread.sleep(3000);
                    failures = evaluateEverything(prometheus, start);
                    alerts = activeAlerts(prometheus);
                } while ((!failures.isEmpty() || !alerts.keySet().equals(ALERTS_THIS_RUN_FIRES)) && System.nanoTime() < deadline);
                assertThat(failures).as("dashboard queries and alert rules; metrics of the run are in " + out).isEmpty();
                assertThat(alerts).as("alerts after the run (name → state); queue depths now: "
                        + prometheus.api("query", Map.of("query", "fleet_queue_depth > 0")).path("data").path("result"))
                        .containsOnlyKeys(ALERTS_THIS_RUN_FIRES).containsValue("firing");
            }
        }
    }

    private List<String> evaluateEverything(PrometheusServer prometheus, Instant start) {
        List<String> failures = new ArrayList<>();
        Instant end = Instant.now();
        Set<String> metrics = new TreeSet<>();
        for (Path file : ObservabilityFiles.dashboardFiles()) {
            JsonNode dashboard = ObservabilityFiles.readJson(file);
            Map<String, String> variables = new LinkedHashMap<>();
            variables.put("__rate_interval", RATE_INTERVAL);
            variables.put("__interval", STEP.toSeconds() + "s");
            variables.put("__range", Duration.between(start, end).toSeconds() + "s");
            resolveTemplateVariables(prometheus, dashboard, variables, failures);
            for (PanelQuery query : ObservabilityFiles.queries(dashboard)) {
                String expr = substitute(query.expr(), variables);
                if (expr.contains("$")) {
                    failures.add(query + ": unresolved variable in " + expr);
                    continue;
                }
                metrics.addAll(PromqlNames.metrics(expr));
                JsonNode answer = query.instant()
                        ? prometheus.api("query", Map.of("query", expr, "time", seconds(end)))
                        : prometheus.api("query_range", Map.of("query", expr, "start", seconds(start), "end", seconds(end),
                                "step", STEP.toSeconds() + "s"));
                if (!"success".equals(answer.path("status").asText())) {
                    failures.add(query + ": invalid: " + answer.path("error").asText() + " in " + expr);
                } else if (answer.path("data").path("result").isEmpty() && !NO_DATA_IN_A_HEALTHY_RUN.containsKey(query.toString())) {
                    failures.add(query + ": no series for " + expr);
                }
            }
        }
        for (AlertRule rule : ObservabilityFiles.alertRules()) {
            // A healthy run fires (nearly) no alert: the expression must be valid and select metrics that exist.
            JsonNode answer = prometheus.api("query", Map.of("query", rule.expr(), "time", seconds(end)));
            if (!"success".equals(answer.path("status").asText())) {
                failures.add("alert " + rule.name() + ": invalid: " + answer.path("error").asText());
            }
            metrics.addAll(PromqlNames.metrics(rule.expr()));
        }
        for (String metric : metrics) {
            JsonNode series = prometheus.api("series", Map.of("match[]", metric, "start", seconds(start), "end", seconds(end)));
            if (series.path("data").isEmpty() && !METRICS_ABSENT_IN_A_HEALTHY_RUN.containsKey(metric)) {
                failures.add("metric " + metric + ": no series in Prometheus");
            }
        }
        JsonNode rules = prometheus.api("rules", Map.of()).path("data").path("groups");
        rules.forEach(group -> group.path("rules").forEach(rule -> {
            if (!"ok".equals(rule.path("health").asText())) {
                failures.add("rule " + rule.path("name").asText() + " loaded by Prometheus: " + rule.path("health").asText()
                        + " " + rule.path("lastError").asText());
            }
        }));
        return failures;
    }

    /** Grafana's {@code label_values(selector, label)} query variables, set to "All" as the dashboards default. */
    private void resolveTemplateVariables(PrometheusServer prometheus, JsonNode dashboard, Map<String, String> variables, List<String> failures) {
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            String name = variable.path("name").asText();
            switch (variable.path("type").asText()) {
                case "datasource" -> variables.put(name, "prometheus");
                case "query" -> {
                    String definition = substitute(variable.path("query").path("query").asText(variable.path("query").asText()), variables);
                    Matcher m = LABEL_VALUES.matcher(definition);
                    if (!m.matches()) {
                        failures.add(dashboard.path("title").asText() + " variable " + name + ": not label_values(...): " + definition);
                        continue;
                    }
                    String selector = m.group(1) == null ? "{" + m.group(2) + "!=\"\"}" : m.group(1);
                    Set<String> values = new LinkedHashSet<>();
                    prometheus.api("series", Map.of("match[]", selector)).path("data")
                            .forEach(s -> values.add(s.path(m.group(2)).asText()));
                    values.remove("");
                    if (values.isEmpty()) {
                        failures.add(dashboard.path("title").asText() + " variable " + name + ": no values for " + definition);
                    }
                    // Grafana's "All" of a multi-value variable: the values as a regex alternation, escaped for PromQL.
                    variables.put(name, "(" + String.join("|", values.stream().map(v -> REGEX_META.matcher(v).replaceAll("\\\\\\\\$0")).toList()) + ")");
                }
                default -> failures.add(dashboard.path("title").asText() + " variable " + name + ": type "
                        + variable.path("type").asText() + " is not resolved by this test");
            }
        }
    }

    static String substitute(String expr, Map<String, String> variables) {
        Matcher m = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            m.appendReplacement(out, Matcher.quoteReplacement(variables.getOrDefault(name, m.group())));
        }
        return m.appendTail(out).toString();
    }

    /** Pending and firing alerts, by name. */
    private static Map<String, String> activeAlerts(PrometheusServer prometheus) {
        Map<String, String> alerts = new java.util.TreeMap<>();
        prometheus.api("alerts", Map.of()).path("data").path("alerts")
                .forEach(a -> alerts.put(a.path("labels").path("alertname").asText(), a.path("state").asText()));
        return alerts;
    }

    /**
     * The shipped deploy/prometheus/prometheus.yml with loopback targets (the services' management ports, where their
     * metrics answer), a 1 s interval and the rules file's absolute path.
     */
    private static String scrapeConfigFor(Map<String, List<String>> managementUrls) throws IOException {
        ObjectNode config = (ObjectNode) ObservabilityFiles.readYaml(ObservabilityFiles.PROMETHEUS_CONFIG);
        ObjectNode global = (ObjectNode) config.path("global");
        global.put("scrape_interval", SCRAPE_INTERVAL.toSeconds() + "s");
        global.put("evaluation_interval", SCRAPE_INTERVAL.toSeconds() + "s");
        ArrayNode rules = config.putArray("rule_files");
        rules.add(ObservabilityFiles.ALERT_RULES.toString());
        Set<String> jobs = new TreeSet<>();
        for (JsonNode scrape : config.path("scrape_configs")) {
            String job = scrape.path("job_name").asText();
            jobs.add(job);
            List<String> urls = managementUrls.get(job.replaceFirst("^fleet-", ""));
            assertThat(urls).as("a service for scrape job " + job).isNotNull();
            ArrayNode targets = ((ObjectNode) scrape.path("static_configs").get(0)).putArray("targets");
            urls.forEach(url -> targets.add(URI.create(url).getAuthority()));
        }
        assertThat(jobs).as("scrape jobs").containsExactlyInAnyOrder("fleet-planner", "fleet-reviewer", "fleet-worker");
        return ObservabilityFiles.YAML.writeValueAsString(config);
    }

    private static void checkWithPromtool(String what, String... args) throws Exception {
        if (!Files.isExecutable(PrometheusServer.PROMTOOL)) {
            return; // Debian ships promtool with prometheus; without it the live evaluation still runs.
        }
        List<String> command = new ArrayList<>(List.of(PrometheusServer.PROMTOOL.toString(), "check", what));
        command.addAll(List.of(args));
        Process promtool = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(promtool.getInputStream().readAllBytes());
        assertThat(promtool.waitFor()).as(String.join(" ", command) + "\n" + output).isZero();
    }

    private static void runMissionWithARetryAndABadRecord(LocalFleet fleet) throws IOException {
        LocalRepository repo = LocalRepository.create(Files.createTempDirectory("observability-repo-"), Map.of("check.sh", """
                #!/bin/sh
                if [ -f c.txt ] && [ "$(cat c.txt)" != "2" ]; then echo "c.txt holds $(cat c.txt), expected 2"; exit 1; fi
                echo ok
                """));
        String id = "observed-" + UUID.randomUUID().toString().substring(0, 8);
        String mission = """
                {"missionId":"%s","title":"Observed","goal":"Write a.txt and c.txt","repo":{"url":"%s","baseRef":"main"},
                 "verify":{"commands":["sh check.sh"],"timeoutSeconds":60},
                 "limits":{"maxAttempts":3,"taskTimeoutSeconds":300},
                 "plan":[{"id":"a","title":"Task a","prompt":"[[a]] Create a.txt"},
                         {"id":"c","title":"Task c","prompt":"[[c]] Create c.txt","dependsOn":["a"]}]}
                """.formatted(id, repo.url());
        HttpResponse<String> submitted = fleet.submit(mission);
        assertThat(submitted.statusCode()).as(submitted.body() + fleet.logs()).isEqualTo(202);
        try (KafkaCompanion kafka = new KafkaCompanion(KafkaBroker.shared().bootstrapServers())) {
            kafka.produceStrings().fromRecords(new ProducerRecord<>(Topics.MISSIONS, "bad-" + id, "{\"goal\":\"no repo\"}")).awaitCompletion();
        }
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> {
            HttpResponse<String> view = fleet.get("/api/v1/missions/" + id);
            if (view.statusCode() != 200) {
                return false;
            }
            String status = ObservabilityFiles.JSON.readTree(view.body()).path("status").asText();
            assertThat(status).as(fleet.logs()).isNotIn("FAILED", "CANCELLED");
            return status.equals("SEALED");
        });
    }

    private static void dumpMetrics(Map<String, List<String>> managementUrls, Path out) throws Exception {
        for (Map.Entry<String, List<String>> service : managementUrls.entrySet()) {
            for (int i = 0; i < service.getValue().size(); i++) {
                HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(service.getValue().get(i) + "/q/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                Files.writeString(out.resolve(service.getKey() + "-" + (i + 1) + ".prom"), metrics.body());
            }
        }
    }

    private static Script script() {
        return Script.of(
                Rule.when(Match.titleRequest()).reply(Turn.text("Fleet task")),
                // c is wrong until the reviewer's feedback is in its prompt: one REJECTED verdict, then APPROVED.
                Rule.when(Match.promptContains("[[c]]").and(Match.promptContains("Feedback on attempt 1")))
                        .reply(Turn.write("c.txt", "2\n"), Turn.text("Fixed c.txt")),
                Rule.when(Match.promptContains("[[c]]")).reply(Turn.write("c.txt", "3\n"), Turn.text("Wrote c.txt")),
                Rule.when(Match.promptContains("[[a]]")).reply(Turn.write("a.txt", "a\n"), Turn.text("Wrote a.txt")));
    }

    private static String seconds(Instant instant) {
        return String.valueOf(instant.getEpochSecond());
    }
}
