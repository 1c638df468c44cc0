package dev.pdpipeline.processor.fakepd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Checks recorded requests against PagerDuty's official OpenAPI document
 * ({@code ../shared/pagerduty/rest-api.openapiv3.json}): a path template and operation exist,
 * required header parameters are present with allowed values, the security header is
 * {@code Token token=}, required query parameters are present, and the JSON body has the required
 * properties with enum values (recursively). For the notes writer's calls and those of
 * {@code bin/pipeline pagerduty}.
 */
public final class OpenApiConformance {

    private final JsonNode openApi;

    private OpenApiConformance(JsonNode openApi) {
        this.openApi = openApi;
    }

    /** The document from {@code pdpipeline.shared.dir}, or empty when ../shared is absent. */
    public static Optional<OpenApiConformance> load() throws IOException {
        String dir = System.getProperty("pdpipeline.shared.dir");
        Path doc = dir == null ? null : Path.of(dir, "pagerduty", "rest-api.openapiv3.json");
        if (doc == null || !Files.isRegularFile(doc)) {
            return Optional.empty();
        }
        return Optional.of(new OpenApiConformance(new ObjectMapper().readTree(doc.toFile())));
    }

    /** Problems of one request; empty when it satisfies the document. */
    public List<String> check(FakePagerDuty.Request request) {
        List<String> problems = new ArrayList<>();
        String template = null;
        for (Iterator<String> it = openApi.path("paths").fieldNames(); it.hasNext(); ) {
            String candidate = it.next();
            if (request.path().matches(candidate.replaceAll("\\{[^/]+}", "[^/]+"))) {
                template = candidate;
                break;
            }
        }
        if (template == null) {
            problems.add("no path template matches " + request.path());
            return problems;
        }
        JsonNode operation = openApi.path("paths").path(template).path(request.method().toLowerCase(Locale.ROOT));
        if (operation.isMissingNode()) {
            problems.add("the document has no " + request.method() + " " + template);
            return problems;
        }
        for (JsonNode p : operation.path("parameters")) {
            JsonNode param = resolve(p);
            if (!"header".equals(param.path("in").asText()) || !param.path("required").asBoolean()) {
                continue;
            }
            String name = param.path("name").asText();
            String value = request.header(name);
            if (value == null) {
                problems.add("required header " + name + " missing");
                continue;
            }
            JsonNode schema = param.path("schema");
            if (schema.has("enum") && !contains(schema.path("enum"), value)) {
                problems.add("header " + name + "=" + value + " not in " + schema.path("enum"));
            }
            if ("Accept".equals(name) && schema.has("default") && !schema.path("default").asText().equals(value)) {
                problems.add("Accept is " + value + ", the document says " + schema.path("default").asText());
            }
            if ("email".equals(schema.path("format").asText()) && !value.matches("[^@\\s]+@[^@\\s]+")) {
                problems.add("header " + name + " is not an email");
            }
        }
        for (Map.Entry<String, JsonNode> scheme : iterable(openApi.path("components").path("securitySchemes").fields())) {
            JsonNode s = scheme.getValue();
            if ("header".equals(s.path("in").asText())) {
                String value = request.header(s.path("name").asText());
                if (value == null || !value.startsWith("Token token=")) {
                    problems.add("security header " + s.path("name").asText() + " missing or not 'Token token='");
                }
            }
        }
        JsonNode body = resolve(operation.path("requestBody"));
        if (!body.isMissingNode()) {
            JsonNode schema = resolve(body.path("content").path("application/json").path("schema"));
            try {
                validate(new ObjectMapper().readTree(request.body()), schema, "$", problems);
            } catch (IOException e) {
                problems.add("body is not JSON: " + e.getMessage());
            }
        }
        return problems;
    }

    private void validate(JsonNode value, JsonNode schema, String at, List<String> problems) {
        schema = resolve(schema);
        for (JsonNode part : schema.path("allOf")) {
            validate(value, part, at, problems);
        }
        String type = schema.path("type").asText("");
        if (type.equals("object")) {
            if (!value.isObject()) {
                problems.add(at + " must be an object");
                return;
            }
            for (JsonNode required : schema.path("required")) {
                JsonNode property = resolve(schema.path("properties").path(required.asText()));
                if (!value.has(required.asText()) && !property.path("readOnly").asBoolean(false)) {
                    problems.add(at + "." + required.asText() + " is required");
                }
            }
            for (Map.Entry<String, JsonNode> field : iterable(value.fields())) {
                JsonNode propertySchema = schema.path("properties").path(field.getKey());
                if (!propertySchema.isMissingNode()) {
                    if (resolve(propertySchema).path("readOnly").asBoolean(false)) {
                        problems.add(at + "." + field.getKey() + " is read-only");
                    }
                    validate(field.getValue(), propertySchema, at + "." + field.getKey(), problems);
                }
            }
        } else if (type.equals("array")) {
            if (!value.isArray()) {
                problems.add(at + " must be an array");
                return;
            }
            if (schema.has("minItems") && value.size() < schema.path("minItems").asInt()) {
                problems.add(at + " needs at least " + schema.path("minItems").asInt() + " items");
            }
            int i = 0;
            for (JsonNode item : value) {
                validate(item, schema.path("items"), at + "[" + i++ + "]", problems);
            }
        } else if (type.equals("string")) {
            if (!value.isTextual()) {
                problems.add(at + " must be a string");
            } else if (schema.has("enum") && !contains(schema.path("enum"), value.asText())) {
                problems.add(at + "=" + value.asText() + " not in " + schema.path("enum"));
            }
        } else if (type.equals("boolean") && !value.isBoolean()) {
            problems.add(at + " must be a boolean");
        }
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode v : array) {
            if (v.asText().equals(value)) {
                return true;
            }
        }
        return false;
    }

    private JsonNode resolve(JsonNode node) {
        JsonNode current = node;
        while (current.has("$ref")) {
            JsonNode target = openApi;
            for (String part : current.path("$ref").asText().substring(2).split("/")) {
                target = target.path(part.replace("~1", "/").replace("~0", "~"));
            }
            current = target;
        }
        return current;
    }

    private static <T> Iterable<T> iterable(Iterator<T> it) {
        return () -> it;
    }
}
