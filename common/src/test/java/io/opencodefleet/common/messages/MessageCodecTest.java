package io.opencodefleet.common.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MessageCodecTest {

    @Test
    void writesTypeAndSchemaVersionAndReadsBackEqual() throws Exception {
        for (FleetMessage message : Samples.all()) {
            String json = FleetJson.write(message);
            var tree = FleetJson.MAPPER.readTree(json);
            assertThat(tree.get("type").asText()).isEqualTo(message.getClass().getSimpleName());
            assertThat(tree.get("schemaVersion").asInt()).isEqualTo(FleetMessage.SCHEMA_VERSION);
            assertThat(MessageCodec.decode(json, message.getClass())).isEqualTo(message);
        }
    }

    @Test
    void unknownFieldsAreIgnored() {
        String json = FleetJson.write(Samples.control()).replace("{", "{\"addedInV9\":{\"x\":1},");
        assertThat(MessageCodec.decode(json, ControlCommand.class)).isEqualTo(Samples.control());
    }

    @Test
    void missingRequiredFieldNamesTheField() {
        String json = "{\"goal\":\"g\",\"repo\":{\"baseRef\":\"main\"}}";
        assertThatThrownBy(() -> MessageCodec.decode(json, MissionSubmitted.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("repo.url: must not be blank");
    }

    @Test
    void wrongTypeNamesThePath() {
        String json = "{\"goal\":\"g\",\"repo\":{\"url\":\"https://git.example.com/r.git\"},\"limits\":{\"maxAttempts\":\"many\"}}";
        assertThatThrownBy(() -> MessageCodec.decode(json, MissionSubmitted.class))
                .hasMessage("limits.maxAttempts: expected an integer");
    }

    @Test
    void badEnumListsTheAllowedValues() {
        String json = FleetJson.write(Samples.result()).replace("\"SUCCEEDED\"", "\"MAYBE\"");
        assertThatThrownBy(() -> MessageCodec.decode(json, TaskResult.class))
                .hasMessageStartingWith("status: 'MAYBE' is not one of [SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, RELEASED]");
    }

    @Test
    void nestedPlanConstraintsNameTheIndex() {
        String json = "{\"goal\":\"g\",\"repo\":{\"url\":\"https://git.example.com/r.git\"},\"plan\":[{\"id\":\"ok\",\"prompt\":\"p\"},{\"id\":\"bad id!\",\"prompt\":\"\"}]}";
        assertThatThrownBy(() -> MessageCodec.decode(json, MissionSubmitted.class))
                .isInstanceOfSatisfying(InvalidMessageException.class, e -> assertThat(e.problems()).containsExactly(
                        "plan[1].id: " + Ids.ID_MESSAGE,
                        "plan[1].prompt: must not be blank"));
    }

    @Test
    void notJsonAtAll() {
        assertThatThrownBy(() -> MessageCodec.decode("hello", MissionSubmitted.class))
                .hasMessageStartingWith("not valid JSON");
        assertThatThrownBy(() -> MessageCodec.decode("", MissionSubmitted.class))
                .hasMessageStartingWith("empty record");
    }

    @Test
    void defaultsFillTheOptionalParts() {
        MissionSubmitted m = MessageCodec.decode("{\"goal\":\"Fix the build\\nmore\",\"repo\":{\"url\":\"https://git.example.com/r.git\"}}", MissionSubmitted.class);
        assertThat(m.title()).isEqualTo("Fix the build");
        assertThat(m.repo().baseRef()).isEqualTo("main");
        assertThat(m.limits().maxAttempts()).isEqualTo(3);
        assertThat(m.review().intervene()).isEqualTo(ReviewPolicy.Intervene.NEVER);
        assertThat(m.verify().commands()).isEmpty();
    }

    @Test
    void aRecordOfAnotherTypeOrANewerVersionIsRefused() {
        String result = FleetJson.write(Samples.result());
        assertThatThrownBy(() -> MessageCodec.decode(result, ReviewVerdict.class)).hasMessage("type: expected 'ReviewVerdict', got \"TaskResult\"");
        String future = result.replace("\"schemaVersion\":1", "\"schemaVersion\":7");
        assertThatThrownBy(() -> MessageCodec.decode(future, TaskResult.class)).hasMessage("schemaVersion: this consumer reads version 1, got 7");
        assertThatThrownBy(() -> MessageCodec.decode("[1,2]", TaskResult.class)).hasMessage("expected a TaskResult JSON object, got array");
    }

    @Test
    void hostileShapesAreRefusedCheaplyAndNamed() {
        String deep = "{\"goal\":" + "[".repeat(5_000) + "]".repeat(5_000) + "}";
        assertThatThrownBy(() -> MessageCodec.decode(deep, MissionSubmitted.class)).isInstanceOf(InvalidMessageException.class);
        String longNumber = "{\"attempt\":" + "9".repeat(10_000) + "}";
        assertThatThrownBy(() -> MessageCodec.decode(longNumber, TaskResult.class)).isInstanceOf(InvalidMessageException.class);
        String nulls = "{\"goal\":\"g\",\"repo\":{\"url\":\"https://h/r.git\"},\"verify\":{\"commands\":[null,\"\"]},\"labels\":{\"k\":null}}";
        assertThatThrownBy(() -> MessageCodec.decode(nulls, MissionSubmitted.class))
                .isInstanceOfSatisfying(InvalidMessageException.class, e -> assertThat(e.problems()).contains(
                        "labels[k].<map value>: must not be null", "verify.commands[0].<list element>: must not be blank"));
    }

    @Test
    void idsPathsAndRefsThatCouldEscapeAreRefused() {
        for (String id : new String[] {"../etc", "/abs", "a/b", "a..b", ".hidden", "x.", "-rf", "a b", "é"}) {
            String json = FleetJson.write(Samples.result()).replace("\"missionId\":\"m-1\"", "\"missionId\":" + FleetJson.write(id));
            assertThatThrownBy(() -> MessageCodec.decode(json, TaskResult.class)).as(id).hasMessageContaining("missionId: " + Ids.ID_MESSAGE);
        }
        for (String ref : new String[] {"-delete", "a..b", "a/.b", "a.lock", "x//y", "@{u}", "a b", "a~1", "main/", "/main", "a:b"}) {
            assertThat(GitRefs.isValidBranch(ref)).as(ref).isFalse();
        }
        for (String ref : new String[] {"main", "release/1.2", "fleet/m-1", "feature_x"}) {
            assertThat(GitRefs.isValidBranch(ref)).as(ref).isTrue();
        }
    }

    @Test
    void repositoryUrlsNeverCarryCredentials() {
        for (String url : new String[] {"https://token@github.com/o/r.git", "https://u:p@h/r.git", "ssh://u:p@h/r.git", "ext::sh -c x",
                "--upload-pack=x", "file://host/r.git", "ftp://h/r.git", "https://h/r.git?x=1"}) {
            assertThat(RepoUrls.scheme(url)).as(url).isNull();
        }
        assertThat(RepoUrls.scheme("https://github.com/o/r.git")).isEqualTo("https");
        assertThat(RepoUrls.scheme("ssh://git@github.com/o/r.git")).isEqualTo("ssh");
        assertThat(RepoUrls.scheme("git@github.com:o/r.git")).isEqualTo("ssh");
        assertThat(RepoUrls.scheme("file:///srv/r.git")).isEqualTo("file");
        assertThat(RepoUrls.redact("fetch https://user:secret@h/r.git failed")).isEqualTo("fetch https://***@h/r.git failed");
    }
}
