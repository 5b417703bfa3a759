package io.opencodefleet.common.messages;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;

/**
 * Turns JSON into validated message records. Every failure is an {@link InvalidMessageException} whose
 * text names the field (e.g. {@code repo.url: must not be blank}), ready for a DLQ header or a 400 body.
 */
public final class MessageCodec {

    private static final ValidatorFactory VALIDATORS = Validation.byDefaultProvider().configure()
            .messageInterpolator(new ParameterMessageInterpolator())
            .buildValidatorFactory();
    private static final Validator VALIDATOR = VALIDATORS.getValidator();

    public static <T> T decode(String json, Class<T> type) {
        String name = type.getSimpleName();
        if (json == null || json.isBlank()) {
            throw new InvalidMessageException("empty record: expected a " + name + " JSON object");
        }
        T value;
        try {
            JsonNode tree = FleetJson.MAPPER.readTree(json);
            if (tree == null || !tree.isObject()) {
                throw new InvalidMessageException("expected a " + name + " JSON object, got " + describeNode(tree));
            }
            JsonNode declared = tree.get("type");
            if (declared != null && !(declared.isTextual() && declared.asText().equals(name))) {
                throw new InvalidMessageException("type: expected '" + name + "', got " + abbreviate(declared.toString()));
            }
            JsonNode version = tree.get("schemaVersion");
            if (version != null && !(version.canConvertToInt() && version.asInt() >= 1 && version.asInt() <= FleetMessage.SCHEMA_VERSION)) {
                throw new InvalidMessageException("schemaVersion: this consumer reads version " + FleetMessage.SCHEMA_VERSION
                        + ", got " + abbreviate(version.toString()));
            }
            value = FleetJson.MAPPER.treeToValue(tree, type);
        } catch (JsonMappingException e) {
            throw new InvalidMessageException(describe(e));
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException("not valid JSON: " + abbreviate(e.getOriginalMessage()));
        } catch (InvalidMessageException e) {
            throw e;
        } catch (RuntimeException e) {
            // A record's constructor refused the values (hostile input reaching a corner): still bad input, named.
            throw new InvalidMessageException("not a valid " + name + ": " + abbreviate(String.valueOf(e.getMessage())));
        }
        if (value == null) {
            throw new InvalidMessageException("expected a " + name + " JSON object, got null");
        }
        return validate(value);
    }

    private static String describeNode(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    public static <T> T validate(T value) {
        List<String> problems = problems(value, "");
        if (!problems.isEmpty()) {
            throw new InvalidMessageException(problems);
        }
        return value;
    }

    /** The constraint violations of {@code value}, each as "{@code prefix}path: message", sorted by path. */
    public static <T> List<String> problems(T value, String prefix) {
        Set<ConstraintViolation<T>> violations = VALIDATOR.validate(value);
        return violations.stream()
                .sorted(Comparator.comparing(v -> v.getPropertyPath().toString()))
                .map(v -> prefix + v.getPropertyPath() + ": " + v.getMessage())
                .collect(Collectors.toList());
    }

    private static String describe(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        String where = path.isEmpty() ? "record" : path;
        if (e instanceof InvalidFormatException ife && ife.getTargetType() != null && ife.getTargetType().isEnum()) {
            return where + ": '" + abbreviate(String.valueOf(ife.getValue())) + "' is not one of " + Arrays.toString(ife.getTargetType().getEnumConstants());
        }
        if (e instanceof MismatchedInputException mie && mie.getTargetType() != null) {
            return where + ": expected " + describeType(mie.getTargetType());
        }
        return where + ": " + abbreviate(e.getOriginalMessage());
    }

    private static String describeType(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "an integer";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.toString(type.getEnumConstants());
        }
        return "an object (" + type.getSimpleName() + ")";
    }

    private MessageCodec() {
    }
}
