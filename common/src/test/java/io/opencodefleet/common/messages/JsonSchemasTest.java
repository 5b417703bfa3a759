package io.opencodefleet.common.messages;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import com.github.victools.jsonschema.module.jakarta.validation.JakartaValidationModule;
import com.github.victools.jsonschema.module.jakarta.validation.JakartaValidationOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JSON Schemas in {@code docs/schemas/} are generated from the records; this test fails when they drift.
 * Regenerate with {@code ./mvnw -pl common test -Dtest=JsonSchemasTest -Dfleet.schemas.write=true}.
 */
class JsonSchemasTest {

    static List<Class<? extends FleetMessage>> messageTypes() {
        return List.of(MissionSubmitted.class, MissionEvent.class, TaskAssignment.class, TaskResult.class,
                ReviewRequest.class, ReviewVerdict.class, TaskProgress.class, ControlCommand.class);
    }

    @ParameterizedTest
    @MethodSource("messageTypes")
    void committedSchemaMatchesTheRecord(Class<? extends FleetMessage> type) throws Exception {
        String generated = FleetJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(schemaOf(type)) + "\n";
        Path file = Path.of(System.getProperty("fleet.project.root", ".."), "docs", "schemas", type.getSimpleName() + ".schema.json");
        if (Boolean.getBoolean("fleet.schemas.write")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, generated);
        }
        assertThat(file).as("schema file for %s (regenerate: see JsonSchemasTest)", type.getSimpleName()).exists();
        assertThat(Files.readString(file)).as("docs/schemas/%s.schema.json is out of date with the record; regenerate it", type.getSimpleName())
                .isEqualTo(generated);
    }

    static ObjectNode schemaOf(Class<?> type) {
        SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(FleetJson.MAPPER, SchemaVersion.DRAFT_2020_12, OptionPreset.PLAIN_JSON)
                .with(new JacksonModule())
                .with(new JakartaValidationModule(JakartaValidationOption.NOT_NULLABLE_FIELD_IS_REQUIRED,
                        JakartaValidationOption.INCLUDE_PATTERN_EXPRESSIONS))
                .with(Option.DEFINITIONS_FOR_ALL_OBJECTS);
        ObjectNode schema = new SchemaGenerator(config.build()).generateSchema(type);
        schema.put("$id", "https://opencode-fleet.dev/schemas/" + type.getSimpleName() + ".schema.json");
        schema.put("title", type.getSimpleName());
        ObjectNode properties = (ObjectNode) schema.get("properties");
        properties.putObject("type").put("const", type.getSimpleName());
        properties.putObject("schemaVersion").put("const", FleetMessage.SCHEMA_VERSION);
        return schema;
    }
}
