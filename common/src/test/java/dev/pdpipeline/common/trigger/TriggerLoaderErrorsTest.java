package dev.pdpipeline.common.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every validation error names file, trigger and field, and never shows a secret. */
class TriggerLoaderErrorsTest {

    private static final String SECRET = "hunter2-do-not-leak-9f8e";
    private static final String TOKEN = "u+tok-do-not-leak-77";
    private static final Map<String, String> ENV = Map.of(
            "WEBHOOK_SECRET", SECRET, "API_TOKEN", TOKEN, "EMPTY_VAR", "", "SPACED_SECRET", " " + SECRET + " ");

    private static final String VALID = """
            apiVersion: aof.sh/v1
            kind: Trigger
            metadata:
              name: broken
            spec:
              platform:
                type: pagerduty
                config:
                  webhook_secret: ${WEBHOOK_SECRET}
                  api_token: ${API_TOKEN}
                  min_priority: P2
                  min_urgency: high
                  event_types: [incident.triggered]
              agent: ops-agent
              enabled: true
              filter:
                metadata.service: PSVC001
            """;

    @TempDir
    Path dir;

    @Test
    void theUnmodifiedTemplateIsValid() throws IOException {
        Path file = Files.writeString(dir.resolve("ok.yaml"), VALID);
        assertThat(new TriggerLoader(ENV).load(file).triggers()).extracting(Trigger::name).containsExactly("broken");
    }

    static Stream<Arguments> brokenTriggers() {
        return Stream.of(
                // name, text to replace, replacement, field, problem (exact)
                Arguments.of("missing variable", "${WEBHOOK_SECRET}", "${UNDEFINED_SECRET_VAR}",
                        "spec.platform.config.webhook_secret", "environment variable UNDEFINED_SECRET_VAR is not set"
                                + " (write ${UNDEFINED_SECRET_VAR:-default} to give a default)"),
                Arguments.of("missing variable deep in parameters", "  enabled: true",
                        "  enabled: true\n  parameters:\n    deep:\n      list: [\"${NOPE_VAR}\"]",
                        "spec.parameters.deep.list[0]", "environment variable NOPE_VAR is not set"),
                Arguments.of("malformed reference", "${WEBHOOK_SECRET}", "\"${9BAD}\"",
                        "spec.platform.config.webhook_secret", "invalid variable reference"),
                Arguments.of("unknown top-level field", "kind: Trigger", "kind: Trigger\nstatus: {}",
                        "status", "unknown field (known: apiVersion, kind, metadata, spec)"),
                Arguments.of("unknown metadata field", "  name: broken", "  name: broken\n  uid: abc",
                        "metadata.uid", "unknown field"),
                Arguments.of("unknown spec field", "  agent: ops-agent", "  agent: ops-agent\n  agents: [a]",
                        "spec.agents", "unknown field"),
                Arguments.of("unknown config field", "min_urgency: high",
                        "min_urgency: high\n      webhook_secrets: x",
                        "spec.platform.config.webhook_secrets", "unknown field"),
                Arguments.of("string where a list belongs", "event_types: [incident.triggered]",
                        "event_types: incident.triggered",
                        "spec.platform.config.event_types", "must be a list of strings, got a string"),
                Arguments.of("number in a list of strings", "event_types: [incident.triggered]",
                        "event_types: [incident.triggered, 42]",
                        "spec.platform.config.event_types[1]", "must be a string, got a number (quote it)"),
                Arguments.of("map where a list belongs", "min_urgency: high", "min_urgency: high\n      allowed_teams: {a: b}",
                        "spec.platform.config.allowed_teams", "must be a list of strings, got a map"),
                Arguments.of("enabled not a boolean", "enabled: true", "enabled: \"maybe\"",
                        "spec.enabled", "must be true or false, got 'maybe'"),
                Arguments.of("enabled a number", "enabled: true", "enabled: 1",
                        "spec.enabled", "must be true or false, got a number"),
                Arguments.of("secret not a string", "${WEBHOOK_SECRET}", "{value: x}",
                        "spec.platform.config.webhook_secret", "must be a string, got a map"),
                Arguments.of("bad min_priority", "min_priority: P2", "min_priority: P7",
                        "spec.platform.config.min_priority", "must be one of P1, P2, P3, P4, P5 (P1 highest), got 'P7'"),
                Arguments.of("numeric min_priority", "min_priority: P2", "min_priority: 2",
                        "spec.platform.config.min_priority", "must be a string, got a number (quote it)"),
                Arguments.of("bad min_urgency", "min_urgency: high", "min_urgency: urgent",
                        "spec.platform.config.min_urgency", "must be 'high' or 'low', got 'urgent'"),
                Arguments.of("missing webhook_secret", "      webhook_secret: ${WEBHOOK_SECRET}\n", "",
                        "spec.platform.config.webhook_secret", "is required"),
                Arguments.of("blank webhook_secret", "${WEBHOOK_SECRET}", "${EMPTY_VAR}",
                        "spec.platform.config.webhook_secret", "is blank after substitution"),
                Arguments.of("webhook_secret with whitespace", "${WEBHOOK_SECRET}", "${SPACED_SECRET}",
                        "spec.platform.config.webhook_secret", "has leading or trailing whitespace (value not shown)"),
                Arguments.of("missing agent", "  agent: ops-agent\n", "",
                        "spec.agent", "is required: the name of the agent that handles the deliveries"),
                Arguments.of("bad agent name", "agent: ops-agent", "agent: \"ops agent!\"",
                        "spec.agent", "'ops agent!' is not a legal agent name"),
                Arguments.of("filter key without metadata prefix", "metadata.service: PSVC001", "service: PSVC001",
                        "spec.filter.service", "unknown filter key: use metadata.<field>"),
                Arguments.of("unknown filter field", "metadata.service: PSVC001", "metadata.colour: red",
                        "spec.filter.metadata.colour", "unknown filter key"),
                Arguments.of("filter value a map", "metadata.service: PSVC001", "metadata.service: {id: x}",
                        "spec.filter.metadata.service", "must be a value or a list of values, got a map"),
                Arguments.of("filter value an empty list", "metadata.service: PSVC001", "metadata.service: []",
                        "spec.filter.metadata.service", "must not be an empty list"),
                Arguments.of("bad from_email", "min_urgency: high", "min_urgency: high\n      from_email: nobody",
                        "spec.platform.config.from_email", "is not an email address"),
                Arguments.of("parameters not a map", "  enabled: true", "  enabled: true\n  parameters: [a]",
                        "spec.parameters", "must be a map, got a list"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenTriggers")
    void rejectsBrokenTriggerNamingFileTriggerAndField(String caseName, String target, String replacement,
            String field, String problem) throws IOException {
        assertThat(VALID).as("template contains the text to replace").contains(target);
        Path file = Files.writeString(dir.resolve("broken.yaml"), VALID.replace(target, replacement));

        TriggerConfigException e = catchThrowableOfType(TriggerConfigException.class,
                () -> new TriggerLoader(ENV).load(file));

        assertThat(e).as(caseName).isNotNull();
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.trigger()).isEqualTo("broken");
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.problem()).startsWith(problem);
        assertThat(e.getMessage()).startsWith(file + ": trigger 'broken': " + field + ": " + problem)
                .doesNotContain(SECRET, TOKEN);
    }
}
