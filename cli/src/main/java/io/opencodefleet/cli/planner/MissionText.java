package io.opencodefleet.cli.planner;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Help.Ansi;

/** How missions read in a terminal: the REST API's mission JSON as headers, tables and coloured states. */
public final class MissionText {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    private MissionText() {
    }

    public static boolean isTerminal(String missionStatus) {
        return missionStatus.equals("SEALED") || missionStatus.equals("FAILED") || missionStatus.equals("CANCELLED");
    }

    /** A state word in the colour it deserves (green done, red failed, yellow attention). */
    public static String state(String state) {
        String style = switch (state) {
            case "SEALED", "DONE", "APPROVED", "TASK_SUCCEEDED" -> "green";
            case "FAILED", "CANCELLED", "REJECTED", "ERROR", "TASK_FAILED" -> "red";
            case "PAUSED", "TASK_REJECTED", "REVIEWING" -> "yellow";
            case "RUNNING", "TASK_STARTED" -> "cyan";
            default -> null;
        };
        return style == null ? state : Ansi.AUTO.string("@|bold," + style + " " + state + "|@");
    }

    public static String time(JsonNode instant) {
        return instant.isTextual() ? TIME.format(Instant.parse(instant.asText())) : "--:--:--";
    }

    /** The first line of a text, at most {@code max} characters. */
    public static String firstLine(String text, int max) {
        if (text == null || text.isBlank()) {
            return "";
        }
        String line = text.strip().lines().findFirst().orElse("");
        return line.length() > max ? line.substring(0, max - 1) + "…" : line;
    }

    public static String usage(JsonNode usage) {
        return String.format("%,d input + %,d output tokens, $%.4f", usage.path("inputTokens").asLong(),
                usage.path("outputTokens").asLong(), usage.path("costUsd").asDouble());
    }

    public static void header(JsonNode mission, PrintWriter out) {
        out.printf("Mission %s  %s  %s%n", Ansi.AUTO.string("@|bold " + mission.path("id").asText() + "|@"),
                state(mission.path("status").asText()), mission.path("title").asText(""));
        if (mission.hasNonNull("statusReason")) {
            out.printf("  reason       %s%n", mission.path("statusReason").asText());
        }
        out.printf("  repository   %s (from %s)%n", mission.path("repo").path("url").asText(),
                mission.path("repo").path("baseRef").asText());
        out.printf("  integration  branch %s%s%n", mission.path("integrationBranch").asText("fleet/" + mission.path("id").asText()),
                mission.hasNonNull("mergedCommit") ? " at " + shortCommit(mission.path("mergedCommit").asText()) : "");
        out.printf("  usage        %s%n", usage(mission.path("usage")));
    }

    /** One row per task: state, attempt, last verdict, worker and the agent's summary. */
    public static void tasks(JsonNode mission, PrintWriter out) {
        JsonNode tasks = mission.path("tasks");
        if (tasks.isEmpty()) {
            out.println("  (no tasks yet: the plan is being made)");
            return;
        }
        int width = 4;
        for (JsonNode task : tasks) {
            width = Math.max(width, task.path("taskId").asText().length());
        }
        String row = "  %-" + width + "s  %-9s  %-7s  %-8s  %-9s  %s%n";
        out.printf(row, "TASK", "STATE", "ATTEMPT", "VERDICT", "WORKER", "SUMMARY");
        for (JsonNode task : tasks) {
            JsonNode attempts = task.path("attempts");
            JsonNode last = attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
            String verdict = last == null ? "" : last.path("verdict").asText("");
            String status = task.path("status").asText();
            out.printf(row, task.path("taskId").asText(), status, task.path("attempt").asInt(), verdict,
                    task.path("workerId").asText(""), firstLine(task.path("summary").asText(""), 70))
                    .flush();
        }
    }

    public static String shortCommit(String sha) {
        return sha.length() > 10 ? sha.substring(0, 10) : sha;
    }
}
