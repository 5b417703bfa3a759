package io.opencodefleet.common.messages;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One fully populated example of every message type. */
final class Samples {

    static final RepoRef REPO = new RepoRef("file:///tmp/repo.git", "main");
    static final VerifySpec VERIFY = new VerifySpec(List.of("make test"), 120, List.of("make e2e"));
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final Instant AT = Instant.parse("2026-11-21T10:15:30.123Z");

    static MissionSubmitted mission() {
        return new MissionSubmitted("m-1", "Add greeting", "Add a greeting module", REPO,
                List.of(new PlannedTask("a", "First", "Write a.txt", List.of(), List.of("a.txt")),
                        new PlannedTask("b", "Second", "Write b.txt", List.of("a"), List.of("b.txt"))),
                VERIFY, "scripted/coder", Map.of("reviewer", "scripted/reviewer"),
                new Limits(3, 2, 600, 100_000L, 5.0), new ReviewPolicy(true, ReviewPolicy.Intervene.ON_ERROR),
                Map.of("team", "core"));
    }

    static TaskAssignment assignment() {
        return new TaskAssignment("m-1", "b", 2, TaskKind.CODE, "Second", "Write b.txt", "Goal: greeting", "tests failed",
                REPO, "fleet-tasks/m-1/b/a2", "fleet/m-1", "scripted/coder", 600, List.of("b.txt"));
    }

    static TaskResult result() {
        return new TaskResult("m-1", "b", 2, TaskStatus.SUCCEEDED, TaskKind.CODE, "fleet-tasks/m-1/b/a2", COMMIT,
                List.of("b.txt"), "wrote b", null, new Usage(120, 30, 0.01), 1500, "worker-1", "ses_1", null);
    }

    static ReviewRequest review() {
        return new ReviewRequest("m-1", "b", 2, ReviewRequest.Kind.MERGE, REPO, "fleet/m-1", "fleet-tasks/m-1/b/a2", COMMIT, VERIFY,
                new ReviewPolicy(true, ReviewPolicy.Intervene.ON_WARNING), "scripted/reviewer", "Second", "Write b.txt", List.of("b.txt"), null);
    }

    static ReviewVerdict verdict() {
        return new ReviewVerdict("m-1", "b", 2, Verdict.REJECTED, "make test failed", null,
                List.of(new CheckRun("make test", 2, 40, "FAIL b")), List.of("changed c.txt outside the declared files"), new Usage(30, 7, 0.002));
    }

    static TaskProgress progress() {
        return new TaskProgress("m-1", "b", 2, "worker-1", "model", 150, AT, "http://127.0.0.1:4096", "ses_1");
    }

    static ControlCommand control() {
        return new ControlCommand("m-1", ControlCommand.Command.CANCEL, null, "user asked", AT, null);
    }

    static MissionEvent event() {
        return new MissionEvent("m-1", MissionEvent.Kind.TASK_REJECTED, "b", 2, AT, "make test failed", 42L);
    }

    static List<FleetMessage> all() {
        return List.of(mission(), assignment(), result(), review(), verdict(), progress(), control(), event());
    }

    private Samples() {
    }
}
