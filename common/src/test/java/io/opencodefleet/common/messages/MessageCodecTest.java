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
        String json = "{\"goal\":\"g\",\"repo\":{\"url\":\"u\"},\"limits\":{\"maxAttempts\":\"many\"}}";
        assertThatThrownBy(() -> MessageCodec.decode(json, MissionSubmitted.class))
                .hasMessage("limits.maxAttempts: expected an integer");
    }

    @Test
    void badEnumListsTheAllowedValues() {
        String json = FleetJson.write(Samples.result()).replace("\"SUCCEEDED\"", "\"MAYBE\"");
        assertThatThrownBy(() -> MessageCodec.decode(json, TaskResult.class))
                .hasMessageStartingWith("status: 'MAYBE' is not one of [SUCCEEDED, FAILED, TIMED_OUT, CANCELLED]");
    }

    @Test
    void nestedPlanConstraintsNameTheIndex() {
        String json = "{\"goal\":\"g\",\"repo\":{\"url\":\"u\"},\"plan\":[{\"id\":\"ok\",\"prompt\":\"p\"},{\"id\":\"bad id!\",\"prompt\":\"\"}]}";
        assertThatThrownBy(() -> MessageCodec.decode(json, MissionSubmitted.class))
                .isInstanceOfSatisfying(InvalidMessageException.class, e -> assertThat(e.problems()).containsExactly(
                        "plan[1].id: must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
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
        MissionSubmitted m = MessageCodec.decode("{\"goal\":\"Fix the build\\nmore\",\"repo\":{\"url\":\"u\"}}", MissionSubmitted.class);
        assertThat(m.title()).isEqualTo("Fix the build");
        assertThat(m.repo().baseRef()).isEqualTo("main");
        assertThat(m.limits().maxAttempts()).isEqualTo(3);
        assertThat(m.review().intervene()).isEqualTo(ReviewPolicy.Intervene.NEVER);
        assertThat(m.verify().commands()).isEmpty();
    }
}
