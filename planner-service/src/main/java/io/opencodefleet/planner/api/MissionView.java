package io.opencodefleet.planner.api;

import io.opencodefleet.planner.mission.Mission;
import io.opencodefleet.planner.mission.MissionStatus;
import com.fasterxml.jackson.core.type.TypeReference;
import io.opencodefleet.common.messages.CheckRun;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.RepoRef;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.planner.mission.Task;
import io.opencodefleet.planner.mission.TaskAttempt;
import io.opencodefleet.planner.mission.TaskEdge;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What the REST API shows of a mission: the summary in lists, and tasks with every attempt in detail. */
public record MissionView(
        String id,
        String title,
        MissionStatus status,
        String statusReason,
        RepoRef repo,
        String integrationBranch,
        String mergedCommit,
        Usage usage,
        Map<String, Long> tasksByState,
        Instant createdAt,
        Instant updatedAt,
        List<TaskView> tasks) {

    /**
     * A task: {@code attempt} is its current epoch; {@code chargedAttempts} how many of its attempts the agent's own
     * work used up (against {@code limits.maxAttempts}); {@code redispatches} how often the fleet's trouble sent it again.
     */
    public record TaskView(String taskId, String title, String status, int attempt, int chargedAttempts, int redispatches,
            List<String> dependsOn, String summary, String mergedCommit, String workerId, String opencodeUrl, String opencodeSession,
            Usage usage, List<AttemptView> attempts) {
    }

    /** One attempt; {@code errorKind} says whose trouble ended it ({@code agent}, {@code infrastructure}, {@code released}, ...). */
    public record AttemptView(int attempt, String status, String verdict, String feedback, String branch, String commit,
            String mergedCommit, List<String> changedFiles, List<CheckRun> checks, String summary, Usage usage,
            Long durationMs, String workerId, String errorKind, String error, Instant dispatchedAt, Instant finishedAt) {
    }

    public static MissionView summary(Mission mission, Map<String, Long> tasksByState) {
        return new MissionView(mission.id, mission.title, mission.status, mission.statusReason, mission.submitted().repo(),
                mission.integrationBranch, mission.mergedCommit, mission.usage(), tasksByState, mission.createdAt,
                mission.updatedAt, null);
    }

    public static MissionView detail(Mission mission) {
        List<Task> tasks = Task.ofMission(mission.id);
        Map<String, List<TaskAttempt>> attempts = TaskAttempt.ofMission(mission.id).stream()
                .collect(Collectors.groupingBy(a -> a.taskId));
        Map<String, List<String>> deps = TaskEdge.<TaskEdge>list("missionId", mission.id).stream()
                .collect(Collectors.groupingBy(e -> e.taskId, Collectors.mapping(e -> e.dependsOn, Collectors.toList())));
        List<TaskView> taskViews = tasks.stream().map(t -> new TaskView(t.taskId, t.title, t.status.name(), t.attempt,
                t.chargedAttempts, t.redispatches,
                deps.getOrDefault(t.taskId, List.of()), t.summary, t.mergedCommit, t.workerId, t.opencodeUrl,
                t.opencodeSession, t.spent.toUsage(),
                attempts.getOrDefault(t.taskId, List.of()).stream().map(MissionView::attempt).toList())).toList();
        Map<String, Long> byState = tasks.stream().collect(Collectors.groupingBy(t -> t.status.name(), java.util.TreeMap::new, Collectors.counting()));
        return new MissionView(mission.id, mission.title, mission.status, mission.statusReason, mission.submitted().repo(),
                mission.integrationBranch, mission.mergedCommit, mission.usage(), byState, mission.createdAt,
                mission.updatedAt, taskViews);
    }

    private static AttemptView attempt(TaskAttempt a) {
        return new AttemptView(a.attempt, a.status, a.verdict, a.feedback, a.branch, a.commit, a.mergedCommit,
                readList(a.changedFiles, new TypeReference<List<String>>() { }),
                readList(a.checks, new TypeReference<List<CheckRun>>() { }), a.summary, a.usage(), a.durationMs,
                a.workerId, a.errorKind, a.error, a.dispatchedAt, a.finishedAt);
    }

    private static <T> List<T> readList(String json, TypeReference<List<T>> type) {
        if (json == null) {
            return List.of();
        }
        try {
            return FleetJson.MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
