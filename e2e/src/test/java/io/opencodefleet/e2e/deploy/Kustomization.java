package io.opencodefleet.e2e.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Just enough of Kustomize to render this project's own base and overlays where no kustomize binary is
 * installed: resources, namespace, labels, images, secretGenerator, and patches (strategic-merge files
 * matched by kind and name, deep-merging maps; inline JSON 6902 add/replace with a kind/name target).
 * Generated Secrets keep their plain names (no hash suffix, as with generatorOptions.disableNameSuffixHash). Anything
 * else in a kustomization fails loudly.
 */
final class Kustomization {

    static final YAMLMapper YAML = new YAMLMapper();
    /** JSON with sorted keys, to compare two renderings. */
    static final com.fasterxml.jackson.databind.ObjectMapper JSON_SORTED = new com.fasterxml.jackson.databind.ObjectMapper()
            .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.WRITE_PROPERTIES_SORTED, true);
    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "namespace", "labels", "resources",
            "images", "secretGenerator", "generatorOptions", "patches");
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
            "ClusterSecretStore", "CustomResourceDefinition", "StorageClass");

    private Kustomization() {
    }

    /** The objects {@code kustomize build dir} would print. {@code dir} must hold a kustomization.yaml. */
    static List<ObjectNode> render(Path dir) {
        JsonNode k = readAll(dir.resolve("kustomization.yaml")).get(0);
        k.fieldNames().forEachRemaining(field -> {
            if (!SUPPORTED.contains(field)) {
                throw new IllegalArgumentException(dir + ": kustomization field " + field + " is not supported by this renderer");
            }
        });
        k.path("generatorOptions").fieldNames().forEachRemaining(option -> {
            if (!option.equals("disableNameSuffixHash")) { // this renderer adds no hash anyway
                throw new IllegalArgumentException(dir + ": generatorOptions." + option + " is not supported by this renderer");
            }
        });
        List<ObjectNode> objects = new ArrayList<>();
        for (JsonNode resource : k.path("resources")) {
            Path path = dir.resolve(resource.asText()).normalize();
            if (Files.isDirectory(path)) {
                objects.addAll(render(path));
            } else {
                readAll(path).forEach(o -> objects.add((ObjectNode) o));
            }
        }
        for (JsonNode generator : k.path("secretGenerator")) {
            objects.add(secret(dir, generator));
        }
        for (JsonNode patch : k.path("patches")) {
            applyPatch(dir, patch, objects);
        }
        for (JsonNode image : k.path("images")) {
            forEachContainer(objects, container -> {
                String[] ref = container.path("image").asText().split(":", 2);
                if (ref[0].equals(image.path("name").asText())) {
                    String name = image.path("newName").asText(ref[0]);
                    String tag = image.path("newTag").asText(ref.length > 1 ? ref[1] : "latest");
                    container.put("image", name + ":" + tag);
                }
            });
        }
        for (JsonNode labels : k.path("labels")) {
            for (ObjectNode object : objects) {
                addLabels(object.withObjectProperty("metadata").withObjectProperty("labels"), labels.path("pairs"));
                if (labels.path("includeTemplates").asBoolean(false) && object.path("spec").path("template").isObject()) {
                    addLabels(((ObjectNode) object.path("spec").path("template")).withObjectProperty("metadata").withObjectProperty("labels"), labels.path("pairs"));
                }
            }
        }
        if (k.hasNonNull("namespace")) {
            for (ObjectNode object : objects) {
                if (!CLUSTER_SCOPED.contains(object.path("kind").asText())) {
                    object.withObjectProperty("metadata").put("namespace", k.path("namespace").asText());
                }
            }
        }
        return objects;
    }

    static List<JsonNode> readAll(Path file) {
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            List<JsonNode> all = new ArrayList<>();
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    all.add(doc);
                }
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /** A Secret from {@code envs} and {@code files} ({@code key=path} or path); a missing file falls back to its {@code .example}. */
    private static ObjectNode secret(Path dir, JsonNode generator) {
        ObjectNode secret = YAML.createObjectNode().put("apiVersion", "v1").put("kind", "Secret");
        secret.putObject("metadata").put("name", generator.path("name").asText());
        ObjectNode data = secret.putObject("stringData");
        for (JsonNode env : generator.path("envs")) {
            for (String line : read(dir, env.asText()).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] pair = line.split("=", 2);
                    data.put(pair[0].trim(), pair.length > 1 ? pair[1] : "");
                }
            }
        }
        for (JsonNode file : generator.path("files")) {
            String[] keyAndPath = file.asText().split("=", 2);
            String path = keyAndPath[keyAndPath.length - 1];
            data.put(keyAndPath.length > 1 ? keyAndPath[0] : Path.of(path).getFileName().toString(), read(dir, path));
        }
        for (JsonNode literal : generator.path("literals")) {
            String[] pair = literal.asText().split("=", 2);
            data.put(pair[0], pair[1]);
        }
        return secret;
    }

    private static String read(Path dir, String name) {
        Path file = dir.resolve(name);
        Path example = dir.resolve(name + ".example");
        try {
            return Files.readString(Files.exists(file) ? file : example);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": generator input " + name + " (nor " + example.getFileName() + ") not found", e);
        }
    }

    private static void applyPatch(Path dir, JsonNode patch, List<ObjectNode> objects) {
        JsonNode target = patch.path("target");
        if (patch.has("path")) {
            for (JsonNode doc : readAll(dir.resolve(patch.path("path").asText()))) {
                ObjectNode object = find(objects, doc.path("kind").asText(), doc.path("metadata").path("name").asText());
                merge(object, doc);
            }
            return;
        }
        JsonNode ops = readInline(patch.path("patch").asText());
        List<ObjectNode> targets = objects.stream()
                .filter(o -> o.path("kind").asText().equals(target.path("kind").asText()))
                .filter(o -> !target.has("name") || o.path("metadata").path("name").asText().equals(target.path("name").asText()))
                .toList();
        if (targets.isEmpty()) {
            throw new IllegalArgumentException(dir + ": patch target " + target + " matches nothing");
        }
        for (ObjectNode object : targets) {
            for (JsonNode op : ops) {
                String[] path = op.path("path").asText().substring(1).split("/");
                JsonNode parent = object;
                for (int i = 0; i < path.length - 1; i++) {
                    parent = parent.isArray() ? parent.path(Integer.parseInt(path[i])) : parent.path(path[i]);
                }
                String last = path[path.length - 1];
                boolean replace = op.path("op").asText().equals("replace");
                if (!parent.isObject() || (replace && !parent.has(last)) || !(replace || op.path("op").asText().equals("add"))) {
                    throw new IllegalArgumentException(dir + ": cannot apply " + op + " to " + object.path("metadata").path("name"));
                }
                ((ObjectNode) parent).set(last, op.path("value"));
            }
        }
    }

    private static JsonNode readInline(String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode find(List<ObjectNode> objects, String kind, String name) {
        return objects.stream()
                .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no " + kind + " " + name));
    }

    /** Strategic merge for maps only: lists in the patch replace the target's. */
    private static void merge(ObjectNode target, JsonNode patch) {
        Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getValue().isObject() && target.path(field.getKey()).isObject()) {
                merge((ObjectNode) target.get(field.getKey()), field.getValue());
            } else {
                target.set(field.getKey(), field.getValue().deepCopy());
            }
        }
    }

    private static void addLabels(ObjectNode labels, JsonNode pairs) {
        pairs.fields().forEachRemaining(pair -> labels.set(pair.getKey(), pair.getValue()));
    }

    static void forEachContainer(List<ObjectNode> objects, java.util.function.Consumer<ObjectNode> action) {
        for (ObjectNode object : objects) {
            JsonNode spec = object.path("spec").path("template").path("spec");
            for (String list : List.of("initContainers", "containers")) {
                for (JsonNode container : spec.path(list)) {
                    action.accept((ObjectNode) container);
                }
            }
        }
    }
}
