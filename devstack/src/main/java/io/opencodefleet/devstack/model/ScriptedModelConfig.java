package io.opencodefleet.devstack.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * OpenCode configuration that points at a {@link ScriptedModel}: provider {@value #PROVIDER_ID}, model
 * {@value #MODEL_ID}, through OpenCode's bundled {@code @ai-sdk/openai-compatible} adapter (nothing is
 * downloaded). Pass it as {@code OPENCODE_CONFIG_CONTENT} (the worker's {@code OpencodeServer} layers its own
 * settings over it).
 */
public final class ScriptedModelConfig {

    public static final String PROVIDER_ID = "scripted";
    public static final String MODEL_ID = ScriptedModel.MODEL_ID;
    /** {@code provider/model}, as OpenCode and the fleet's task messages name a model. */
    public static final String MODEL = PROVIDER_ID + "/" + MODEL_ID;

    private static final ObjectMapper JSON = new ObjectMapper();

    private ScriptedModelConfig() {
    }

    /** The configuration as a JSON object. */
    public static ObjectNode forScriptedModel(String baseUrl) {
        ObjectNode config = JSON.createObjectNode();
        config.put("$schema", "https://opencode.ai/config.json");
        config.put("model", MODEL);
        config.put("small_model", MODEL);
        config.put("autoupdate", false);
        config.put("share", "disabled");
        ObjectNode provider = config.putObject("provider").putObject(PROVIDER_ID);
        provider.put("npm", "@ai-sdk/openai-compatible");
        provider.put("name", "Scripted model");
        provider.putObject("options").put("baseURL", baseUrl).put("apiKey", "scripted");
        ObjectNode model = provider.putObject("models").putObject(MODEL_ID);
        model.put("name", "Scripted coder");
        model.put("tool_call", true);
        model.putObject("limit").put("context", 128000).put("output", 8000);
        model.putObject("cost").put("input", 0).put("output", 0);
        return config;
    }

    /** The configuration as JSON text. */
    public static String jsonForScriptedModel(String baseUrl) {
        return forScriptedModel(baseUrl).toString();
    }

    /** The configuration for a running model. */
    public static String jsonFor(ScriptedModel model) {
        return jsonForScriptedModel(model.baseUrl());
    }
}
