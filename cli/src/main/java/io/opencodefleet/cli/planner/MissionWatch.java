package io.opencodefleet.cli.planner;

import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.cli.ExitCode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Help.Ansi;

/**
 * Follows a mission's event stream and prints each event with the task's state, attempt and last verdict,
 * then the mission's final table. Nothing polls: the planner pushes events (SSE), replaying the past first.
 */
public final class MissionWatch {

    private final PlannerClient planner;
    private final PrintWriter out;
    private final boolean json;
    /** Per task: state, attempt and last verdict, as the events tell them. */
    private final Map<String, TaskLine> tasks = new LinkedHashMap<>();
    private long lastSeq = -1;
    private String outcome;

    public MissionWatch(PlannerClient planner, PrintWriter out, boolean json) {
        this.planner = planner;
        this.out = out;
        this.json = json;
    }

    private static final class TaskLine {
        String state = "PENDING";
        int attempt;
        String verdict = "";
    }

    /** Watches until the mission ends; returns the exit code of its outcome (0 SEALED). */
    public int watch(String missionId) {
        JsonNode mission = planner.mission(missionId);
        mission.path("tasks").forEach(task -> tasks.put(task.path("taskId").asText(), new TaskLine()));
        if (!json) {
            out.printf("Watching mission %s at %s (Ctrl-C stops watching; the mission goes on).%n", missionId, planner.baseUrl());
            out.flush();
        }
        while (outcome == null) {
            planner.followEvents(missionId, lastSeq, this::onEvent);
            if (outcome == null) {
                // The stream broke without a terminal event (a planner restart?): if the mission is over, say so;
                // else reconnect, resuming after the last event shown (Last-Event-ID).
                String status = planner.mission(missionId).path("status").asText();
                if (MissionText.isTerminal(status)) {
                    outcome = status;
                } else {
                    pause();
                }
            }
        }
        JsonNode last = planner.mission(missionId);
        if (!json) {
            out.println();
            MissionText.header(last, out);
            out.println();
            MissionText.tasks(last, out);
            if (outcome.equals("SEALED")) {
                out.printf("%nThe result is the branch %s of %s.%n", last.path("integrationBranch").asText(),
                        last.path("repo").path("url").asText());
            }
            out.flush();
        }
        return exitCode(outcome);
    }

    public static int exitCode(String outcome) {
        return switch (outcome) {
            case "SEALED" -> ExitCode.OK;
            case "CANCELLED" -> ExitCode.MISSION_CANCELLED;
            default -> ExitCode.MISSION_FAILED;
        };
    }

    private boolean onEvent(JsonNode event) {
        lastSeq = Math.max(lastSeq, event.path("seq").asLong(0));
        String kind = event.path("event").asText();
        String taskId = event.path("taskId").asText(null);
        TaskLine task = taskId == null ? null : tasks.computeIfAbsent(taskId, id -> new TaskLine());
        if (task != null) {
            task.attempt = Math.max(task.attempt, event.path("attempt").asInt(0));
            switch (kind) {
                case "TASK_DISPATCHED" -> task.state = "QUEUED";
                case "TASK_STARTED" -> task.state = "RUNNING";
                case "TASK_SUCCEEDED" -> { task.state = "DONE"; task.verdict = "APPROVED"; }
                case "TASK_REJECTED" -> { task.state = "QUEUED"; task.verdict = "REJECTED"; }
                case "TASK_FAILED" -> { task.state = "FAILED"; task.verdict = "REJECTED"; }
                default -> { }
            }
        }
        if (json) {
            out.println(event);
        } else {
            print(event, kind, taskId, task);
        }
        out.flush();
        if (kind.equals("SEALED") || kind.equals("FAILED") || kind.equals("CANCELLED")) {
            outcome = kind;
            return false;
        }
        return true;
    }

    private void print(JsonNode event, String kind, String taskId, TaskLine task) {
        String detail = MissionText.firstLine(event.path("detail").asText(""), 90);
        if (task == null) {
            out.printf("  %s  %-24s %s%n", MissionText.time(event.path("at")), MissionText.state(kind), detail);
        } else {
            out.printf("  %s  %-14s #%-2d %-10s %-9s %s%n", MissionText.time(event.path("at")), taskId, task.attempt,
                    MissionText.state(task.state), task.verdict, Ansi.AUTO.string("@|faint " + kind.toLowerCase().replace("task_", "") + "|@")
                            + (detail.isEmpty() ? "" : "  " + detail));
        }
        if (kind.equals("PAUSED")) {
            out.printf("  The mission waits for you: `bin/fleet resume %s --guidance \"...\"` or `bin/fleet cancel %s`.%n",
                    event.path("missionId").asText(), event.path("missionId").asText());
        }
    }

    private static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
