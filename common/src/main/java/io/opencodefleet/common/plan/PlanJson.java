package io.opencodefleet.common.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.PlannedTask;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the plan a planning agent wrote in its final message: the last fenced JSON block, else the outermost
 * JSON array or object in the text; an array of tasks, or an object holding one under {@code tasks} or
 * {@code plan}. Only the shape is read here; {@link PlanValidator} judges the plan.
 */
public final class PlanJson {

    private static final Pattern FENCED = Pattern.compile("```(?:json)?\\s*\\n(.*?)```", Pattern.DOTALL);

    public static List<PlannedTask> extract(String reply) {
        if (reply == null || reply.isBlank()) {
            throw new InvalidMessageException("the final message is empty: reply with the plan as a JSON array of tasks");
        }
        String json = jsonPart(reply);
        JsonNode root;
        try {
            root = FleetJson.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException("the plan is not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode tasks = root.isArray() ? root : root.has("tasks") ? root.get("tasks") : root.get("plan");
        if (tasks == null || !tasks.isArray()) {
            throw new InvalidMessageException("the plan must be a JSON array of tasks (or an object with a \"tasks\" array)");
        }
        List<PlannedTask> plan = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            try {
                plan.add(FleetJson.MAPPER.treeToValue(tasks.get(i), PlannedTask.class));
            } catch (JsonProcessingException e) {
                throw new InvalidMessageException("plan[" + i + "]: " + e.getOriginalMessage());
            }
        }
        return plan;
    }

    private static String jsonPart(String reply) {
        String fenced = null;
        Matcher matcher = FENCED.matcher(reply);
        while (matcher.find()) {
            fenced = matcher.group(1);
        }
        if (fenced != null) {
            return fenced.strip();
        }
        int start = firstOf(reply, '[', '{');
        int end = Math.max(reply.lastIndexOf(']'), reply.lastIndexOf('}'));
        if (start < 0 || end < start) {
            throw new InvalidMessageException("no plan JSON in the final message: reply with the plan as a JSON array of tasks in a ```json block");
        }
        return reply.substring(start, end + 1);
    }

    private static int firstOf(String text, char a, char b) {
        int i = text.indexOf(a);
        int j = text.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    private PlanJson() {
    }
}
