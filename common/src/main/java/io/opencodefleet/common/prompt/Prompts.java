package io.opencodefleet.common.prompt;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every text the fleet says to an agent, as templates in one place ({@code src/main/resources/prompts/} of
 * common): people tune them without reading code. {@code {name}} is replaced by the value given for it; a name
 * without a value is an error, so a template and its caller cannot drift apart silently.
 */
public final class Prompts {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-zA-Z][a-zA-Z0-9]*)}");
    private static final Map<String, String> TEMPLATES = new ConcurrentHashMap<>();

    private Prompts() {
    }

    /** Renders {@code prompts/<name>.md} with {@code values}. */
    public static String render(String name, Map<String, ?> values) {
        String template = TEMPLATES.computeIfAbsent(name, Prompts::load);
        Matcher matcher = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length() + 256);
        while (matcher.find()) {
            Object value = values.get(matcher.group(1));
            if (value == null && !values.containsKey(matcher.group(1))) {
                throw new IllegalArgumentException("prompt " + name + " needs a value for {" + matcher.group(1) + "}");
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value == null ? "" : value.toString()));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    private static String load(String name) {
        try (InputStream in = Prompts.class.getResourceAsStream("/prompts/" + name + ".md")) {
            if (in == null) {
                throw new IllegalArgumentException("no prompt template prompts/" + name + ".md");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
