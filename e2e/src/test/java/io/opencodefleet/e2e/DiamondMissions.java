package io.opencodefleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.opencodefleet.common.messages.Topics;
import io.opencodefleet.devstack.git.LocalRepository;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * The missions the fault suites (chaos, multi-host) run and what they check after the fault: four tasks in a diamond
 * (a; b and c after a; d after both), each writing {@code <task>.txt}, and the outcome every one of them asserts.
 */
public final class DiamondMissions {

    public static final List<String> TASKS = List.of("a", "b", "c", "d");

    private DiamondMissions() {
    }

    /** The mission {@code id} on {@code repoUrl}: the diamond, checked by {@code check.sh} and "d.txt exists". */
    public static String mission(String id, String repoUrl) {
        String plan = "[" + String.join(",", task("a"), task("b", "a"), task("c", "a"), task("d", "b", "c")) + "]";
        return """
                {"missionId":"%s","goal":"Write the files the tasks name","repo":{"url":"%s","baseRef":"main"},
                 "verify":{"commands":["sh check.sh"],"timeoutSeconds":60,"acceptance":["test -f d.txt"]},
                 "limits":{"maxAttempts":3,"taskTimeoutSeconds":300},"plan":%s}
                """.formatted(id, repoUrl, plan);
    }

    private static String task(String id, String... dependsOn) {
        String deps = Arrays.stream(dependsOn).map(d -> "\"" + d + "\"").collect(Collectors.joining(","));
        return "{\"id\":\"" + id + "\",\"title\":\"Task " + id + "\",\"prompt\":\"[[" + id + "]] Create " + id
                + ".txt holding the task id.\",\"dependsOn\":[" + deps + "],\"files\":[\"" + id + ".txt\",\"log-" + id + ".txt\"]}";
    }

    /** One merge and one task commit per task on the integration branch (matched by the trailers), files as scripted. */
    public static void assertMergedOnce(LocalRepository repo, String id) {
        String integration = "fleet/" + id;
        List<String> merges = repo.log(integration, "%(trailers:key=Fleet-Mission,valueonly,separator=)|%(trailers:key=Fleet-Task,valueonly,separator=)", "--merges");
        assertThat(merges).as("one merge per task of %s", id).containsExactlyInAnyOrderElementsOf(TASKS.stream().map(t -> id + "|" + t).toList());
        List<String> taskCommits = repo.log(integration, "%(trailers:key=Fleet-Task,valueonly,separator=)", "--no-merges", "main.." + integration);
        assertThat(taskCommits).as("one task commit per task of %s", id).containsExactlyInAnyOrderElementsOf(TASKS);
        for (String task : TASKS) {
            assertThat(repo.read(integration, task + ".txt")).isEqualTo(task);
        }
    }

    /** Records in every dead-letter topic, by topic (end offsets: what was ever written there). */
    public static Map<String, Long> deadLetters(String bootstrap) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            Map<String, Long> counts = new TreeMap<>();
            for (String topic : Topics.CONSUMED) {
                String dlq = Topics.dlq(topic);
                long total = 0;
                if (existing.contains(dlq)) {
                    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
                    admin.describeTopics(List.of(dlq)).allTopicNames().get(30, TimeUnit.SECONDS).get(dlq).partitions()
                            .forEach(p -> request.put(new TopicPartition(dlq, p.partition()), OffsetSpec.latest()));
                    for (var info : admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).values()) {
                        total += info.offset();
                    }
                }
                counts.put(dlq, total);
            }
            return counts;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the dead-letter topics", e);
        }
    }
}
