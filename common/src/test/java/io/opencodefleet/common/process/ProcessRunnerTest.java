package io.opencodefleet.common.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProcessRunnerTest {

    @Test
    void aStalledCommandIsKilledAtItsTimeoutWithEverythingItStarted() {
        long started = System.nanoTime();
        // The child keeps the output pipe open: a runner that read the output before waiting would hang here.
        ProcessRunner.Result result = ProcessRunner.command("sh", "-c", "echo started; sleep 300 & echo $! > /dev/null; sleep 300")
                .timeout(Duration.ofSeconds(1)).run();
        assertThat(result.timedOut()).isTrue();
        assertThat(result.exitCode()).isEqualTo(ProcessRunner.Result.TIMED_OUT);
        assertThat(result.output()).startsWith("started").contains("[timed out after 1s]");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("sleep 300")).count())
                .as("no sleep of this test survives").isZero();
    }

    @Test
    void onlyTheTailOfALongOutputIsKeptAndTheEnvironmentCanBeCleared() {
        ProcessRunner.Result result = ProcessRunner.command("sh", "-c", "for i in $(seq 1 20000); do echo line-$i; done; exit 3")
                .keepLast(100).run();
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.output()).endsWith("line-20000\n").contains("[… output cut]").hasSizeLessThan(200);

        ProcessRunner.Result env = ProcessRunner.command("/usr/bin/env").clearEnvironment().env("ONLY", "this").run();
        assertThat(env.output().strip()).isEqualTo("ONLY=this");
    }
}
