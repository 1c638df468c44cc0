package dev.pdpipeline.processor.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds the requests our client sends to PagerDuty's published OpenAPI document
 * (../shared/pagerduty/rest-api.openapiv3.json): path template, required header parameters,
 * security header, request body required properties and enums.
 */
class PagerDutyConformanceTest {

    private static final String TOKEN = "conformance-token";
    private static JsonNode openApi;

    @BeforeAll
    static void loadDocument() throws Exception {
        String dir = System.getProperty("pdpipeline.shared.dir");
        Path doc = dir == null ? null : Path.of(dir, "pagerduty", "rest-api.openapiv3.json");
        assumeTrue(doc != null && Files.isRegularFile(doc), "../shared not present: PagerDuty's OpenAPI document ("
                + doc + ") is needed for the conformance check");
        openApi = new ObjectMapper().readTree(doc.toFile());
    }

    @Test
    void requestsOfAllThreeOperationsSatisfyTheOfficialDocument() throws Exception {
        List<FakePagerDuty.Request> recorded;
        try (FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents("PINC001")) {
            PagerDutyClient client = new PagerDutyClient(fake.url(), Duration.ofSeconds(5), new SimpleMeterRegistry());
            client.createNote(TOKEN, "bot@example.com", "PINC001", "Root cause found");
            client.updateStatus(TOKEN, "bot@example.com", "PINC001", "acknowledged");
            client.updateStatus(TOKEN, "bot@example.com", "PINC001", "resolved");
            client.listNotes(TOKEN, "PINC001");
            recorded = fake.requests();
        }

        assertThat(recorded).hasSize(4).allMatch(FakePagerDuty.Request::accepted);
        for (FakePagerDuty.Request request : recorded) {
            List<String> problems = check(request);
            assertThat(problems).as("%s %s", request.method(), request.path()).isEmpty();
        }
    }

    private static List<String> check(FakePagerDuty.Request request) {
        List<String> problems = new ArrayList<>();
        String template = null;
        for (Iterator<String> it = openApi.path("paths").fieldNames(); it.hasNext(); ) {
            String candidate = it.next();
            String regex = candidate.replaceAll("\\{[^/]+}", "[^/]+");
            if (request.path().matches(regex)) {
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
            } catch (Exception e) {
                problems.add("body is not JSON: " + e.getMessage());
            }
        }
        return problems;
    }

    private static void validate(JsonNode value, JsonNode schema, String at, List<String> problems) {
        schema = resolve(schema);
        String type = schema.path("type").asText("");
        if (type.equals("object")) {
            if (!value.isObject()) {
                problems.add(at + " must be an object");
                return;
            }
            for (JsonNode required : schema.path("required")) {
                if (!value.has(required.asText())) {
                    problems.add(at + "." + required.asText() + " is required");
                }
            }
            for (Map.Entry<String, JsonNode> field : iterable(value.fields())) {
                JsonNode propertySchema = schema.path("properties").path(field.getKey());
                if (!propertySchema.isMissingNode()) {
                    validate(field.getValue(), propertySchema, at + "." + field.getKey(), problems);
                }
            }
        } else if (type.equals("string")) {
            if (!value.isTextual()) {
                problems.add(at + " must be a string");
            } else if (schema.has("enum") && !contains(schema.path("enum"), value.asText())) {
                problems.add(at + "=" + value.asText() + " not in " + schema.path("enum"));
            }
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

    private static JsonNode resolve(JsonNode node) {
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
