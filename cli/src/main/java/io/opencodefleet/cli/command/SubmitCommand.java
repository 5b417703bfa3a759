package io.opencodefleet.cli.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import io.opencodefleet.cli.planner.KafkaMissions;
import io.opencodefleet.cli.planner.MissionText;
import io.opencodefleet.cli.planner.MissionWatch;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.devstack.kafka.KafkaAccess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Submit a mission from a JSON file and/or flags.",
                "The file is the fleet.missions format (docs/schemas/); flags override the file's fields. Sent to the planner's REST API, or with --kafka to fleet.missions."},
        footer = {"", "Example:",
                "  bin/fleet submit --repo ~/src/app.git --goal 'Add a greeting' \\",
                "      --task greet='Create greet.sh printing hello' --task doc='Document greet.sh in README.md' \\",
                "      --depends doc=greet --verify 'sh greet.sh' --watch"})
public class SubmitCommand extends PlannerCommand {

    private static final Duration INTAKE_TIMEOUT = Duration.ofSeconds(30);

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Mission JSON file ('-' reads standard input).")
    Path file;

    @Option(names = "--id", description = "Mission id (idempotency key: the same id twice is one mission).")
    String missionId;

    @Option(names = "--title", description = "Short title.")
    String title;

    @Option(names = "--goal", description = "What the mission should achieve.")
    String goal;

    @Option(names = "--repo", paramLabel = "URL|DIR", description = "Git repository the workers clone and push to.")
    String repo;

    @Option(names = "--base-ref", paramLabel = "REF", description = "Branch or ref the mission starts from (default: main).")
    String baseRef;

    @Option(names = "--task", paramLabel = "ID=PROMPT", description = "A task of the plan (repeatable; without tasks the planner asks an agent for a plan).")
    Map<String, String> tasks = new LinkedHashMap<>();

    @Option(names = "--depends", paramLabel = "TASK=DEP[,DEP]", description = "TASK starts after DEP is merged (repeatable).")
    Map<String, String> dependsOn = new LinkedHashMap<>();

    @Option(names = "--verify", paramLabel = "COMMAND", description = "Check run by `sh -c` on every merge and on the final branch (repeatable).")
    List<String> verify;

    @Option(names = "--model", paramLabel = "PROVIDER/MODEL", description = "OpenCode model for this mission (default: the fleet's FLEET_MODEL).")
    String model;

    @Option(names = "--max-attempts", paramLabel = "N", description = "Attempts per task before the mission fails (default: 3).")
    Integer maxAttempts;

    @Option(names = "--kafka", arity = "0..1", fallbackValue = "", paramLabel = "BOOTSTRAP",
            description = "Publish to fleet.missions on this broker (default: the local fleet's, else 127.0.0.1:9092) instead of REST.")
    String kafka;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = {"Kafka client properties for --kafka (security.protocol, sasl.*, ssl.*, bootstrap.servers, ...),",
                    "else $FLEET_KAFKA_CONFIG, else the local fleet's submitter settings when it runs with --kafka-auth."})
    Path kafkaConfig;

    @Option(names = "--watch", description = "Then follow the mission like `bin/fleet watch`; the exit code is its outcome.")
    boolean watch;

    @Override
    public Integer call() {
        ObjectNode mission = file == null ? FleetJson.MAPPER.createObjectNode() : readFile();
        applyFlags(mission);
        String source = file == null ? "mission" : file.toString();
        MissionSubmitted validated;
        try {
            validated = MessageCodec.decode(mission.toString(), MissionSubmitted.class);
        } catch (InvalidMessageException e) {
            throw new CommandFailure(ExitCode.INVALID, source + " is not a valid mission:\n  " + String.join("\n  ", e.problems())
                    + (file == null ? "\n  (give --goal, --repo and --task flags, or a mission file with -f)" : ""));
        }
        String id;
        if (kafka != null) {
            // The record key is the mission id, so the mission needs one before it is published.
            id = validated.missionId() != null ? validated.missionId() : "m-" + UUID.randomUUID().toString().substring(0, 8);
            mission.put("missionId", id);
            Map<String, String> client = KafkaMissions.clientConfig(kafkaConfigFile());
            String bootstrap = !kafka.isBlank() ? kafka : client.getOrDefault("bootstrap.servers",
                    fleet.state().kafkaBootstrap().orElse("127.0.0.1:9092"));
            KafkaMissions.publish(bootstrap, client, id, mission.toString());
            if (json()) {
                printJson(FleetJson.MAPPER.createObjectNode().put("missionId", id).put("topic", "fleet.missions").put("bootstrap", bootstrap));
            } else {
                out().printf("Published mission %s to fleet.missions on %s.%n", id, bootstrap);
            }
        } else {
            JsonNode accepted = planner().submit(mission.toString());
            id = accepted.path("id").asText();
            if (json()) {
                printJson(accepted);
            } else {
                out().printf("Submitted mission %s (%s) to %s.%n", id, MissionText.state(accepted.path("status").asText()), planner().baseUrl());
            }
        }
        if (watch) {
            if (kafka != null) {
                awaitIntake(id);
            }
            return new MissionWatch(planner(), out(), json()).watch(id);
        }
        if (!json()) {
            out().printf("Follow it: bin/fleet watch %s%n", id);
        }
        out().flush();
        return ExitCode.OK;
    }

    /** --kafka-config, else $FLEET_KAFKA_CONFIG, else the local fleet's submitter settings if it made some, else none. */
    private Path kafkaConfigFile() {
        if (kafkaConfig != null) {
            return kafkaConfig;
        }
        String fromEnv = System.getenv(KafkaMissions.CONFIG_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        Path local = fleet.state().kafkaClientConfig(KafkaAccess.SUBMITTER);
        return Files.isRegularFile(local) && kafka.isBlank() ? local : null;
    }

    /** A mission sent through Kafka exists once the planner has consumed it; that takes a moment. */
    private void awaitIntake(String id) {
        long deadline = System.nanoTime() + INTAKE_TIMEOUT.toNanos();
        while (true) {
            try {
                planner().mission(id);
                return;
            } catch (CommandFailure e) {
                if (e.exitCode() != ExitCode.NOT_FOUND || System.nanoTime() > deadline) {
                    throw e.exitCode() != ExitCode.NOT_FOUND ? e : new CommandFailure(ExitCode.NOT_FOUND, "the planner at "
                            + planner().baseUrl() + " has not taken mission " + id + " from fleet.missions within "
                            + INTAKE_TIMEOUT.toSeconds() + " s; a rejected record is on fleet.missions.dlq with the reason.");
                }
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailure(ExitCode.UNREACHABLE, "interrupted");
            }
        }
    }

    private ObjectNode readFile() {
        String text;
        try {
            text = file.toString().equals("-") ? new String(System.in.readAllBytes()) : Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CommandFailure(ExitCode.INVALID, "mission file " + file + " does not exist.");
        } catch (IOException e) {
            throw new CommandFailure(ExitCode.INVALID, "cannot read mission file " + file + ": " + e.getMessage());
        }
        JsonNode node;
        try {
            node = FleetJson.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CommandFailure(ExitCode.INVALID, file + " is not valid JSON at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new CommandFailure(ExitCode.INVALID, file + " must hold a JSON object (a mission), not " + (node == null ? "nothing" : node.getNodeType()));
        }
        return object;
    }

    private void applyFlags(ObjectNode mission) {
        putIfSet(mission, "missionId", missionId);
        putIfSet(mission, "title", title);
        putIfSet(mission, "goal", goal);
        putIfSet(mission, "model", model);
        if (repo != null || baseRef != null) {
            ObjectNode repoNode = mission.with("repo");
            putIfSet(repoNode, "url", repo == null ? null : repoUrl(repo));
            putIfSet(repoNode, "baseRef", baseRef);
        }
        if (!tasks.isEmpty()) {
            ArrayNode plan = mission.putArray("plan");
            tasks.forEach((id, prompt) -> {
                ObjectNode task = plan.addObject().put("id", id).put("prompt", prompt);
                ArrayNode deps = task.putArray("dependsOn");
                if (dependsOn.containsKey(id)) {
                    for (String dep : dependsOn.get(id).split(",")) {
                        deps.add(dep.strip());
                    }
                }
            });
        } else if (!dependsOn.isEmpty()) {
            throw new CommandFailure(ExitCode.INVALID, "--depends needs the tasks it relates as --task flags");
        }
        if (verify != null) {
            mission.with("verify").putArray("commands").addAll(verify.stream().map(FleetJson.MAPPER.getNodeFactory()::textNode).toList());
        }
        if (maxAttempts != null) {
            mission.with("limits").put("maxAttempts", maxAttempts);
        }
    }

    /** A local directory becomes an absolute path, since the workers clone it from their own directories. */
    private static String repoUrl(String value) {
        Path path = Path.of(value.replaceFirst("^~(?=/)", System.getProperty("user.home")));
        return !value.contains("://") && Files.isDirectory(path) ? path.toAbsolutePath().normalize().toUri().toString() : value;
    }

    private static void putIfSet(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }
}
