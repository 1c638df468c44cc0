package dev.pdpipeline.common.trigger;

import static dev.pdpipeline.common.trigger.TriggerFixtures.API_TOKEN;
import static dev.pdpipeline.common.trigger.TriggerFixtures.ENV;
import static dev.pdpipeline.common.trigger.TriggerFixtures.OTHER_SECRET;
import static dev.pdpipeline.common.trigger.TriggerFixtures.SECRET;
import static dev.pdpipeline.common.trigger.TriggerFixtures.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TriggerLoaderTest {

    private final TriggerLoader loader = new TriggerLoader(ENV);

    @TempDir
    Path dir;

    @Test
    void loadsEveryFieldOfAFullTrigger() {
        Path file = fixture("full.yaml");
        TriggerSet set = loader.load(file);

        assertThat(set.triggers()).hasSize(1);
        Trigger t = set.triggers().get(0);
        assertThat(t.name()).isEqualTo("payments-major-incidents");
        assertThat(t.namespace()).isEqualTo("payments");
        assertThat(t.source()).isEqualTo(file);
        assertThat(t.agent()).isEqualTo("payments-triage");
        assertThat(t.enabled()).isFalse();
        assertThat(t.webhookSecret()).isEqualTo(SECRET);
        assertThat(t.apiToken()).isEqualTo(API_TOKEN);
        assertThat(t.botName()).isEqualTo("payments-bot");
        assertThat(t.fromEmail()).isEqualTo("sre-bot@example.test");
        assertThat(t.eventTypes()).containsExactly(
                "incident.triggered", "incident.priority_updated", "incident.some_future_type");
        assertThat(t.allowedServices()).containsExactly("PSVC001", "PSVC002");
        assertThat(t.allowedTeams()).containsExactly("PTEAM01");
        assertThat(t.minPriority()).isEqualTo(Priority.P2);
        assertThat(t.minUrgency()).isEqualTo(Urgency.HIGH);
        assertThat(t.filter()).containsExactly(
                Map.entry("service_name", List.of("Payments API")),
                Map.entry("team", List.of("Payments", "PTEAM01")),
                Map.entry("incident_number", List.of("42")));
    }

    @Test
    void keepsParameterTypesAndSubstitutesTheirStrings() {
        JsonNode p = loader.load(fixture("full.yaml")).triggers().get(0).parameters();

        assertThat(p.get("dry_run").isBoolean()).isTrue();
        assertThat(p.get("dry_run").booleanValue()).isTrue();
        assertThat(p.get("max_steps").isInt()).isTrue();
        assertThat(p.get("max_steps").intValue()).isEqualTo(7);
        assertThat(p.get("ratio").doubleValue()).isEqualTo(0.5);
        assertThat(p.get("channel").textValue()).isEqualTo("#payments-oncall");
        assertThat(p.get("literal").textValue()).isEqualTo("${NOT_A_VARIABLE}");
        assertThat(p.at("/nested/tags/1").textValue()).isEqualTo("eu-west-1");
    }

    @Test
    void parametersCannotBeChangedThroughTheAccessor() {
        Trigger t = loader.load(fixture("full.yaml")).triggers().get(0);
        ((com.fasterxml.jackson.databind.node.ObjectNode) t.parameters()).put("dry_run", false);
        assertThat(t.parameters().get("dry_run").booleanValue()).isTrue();
    }

    @Test
    void appliesDefaultsWhenOptionalFieldsAreAbsent() {
        Trigger t = loader.load(fixture("minimal.yaml")).triggers().get(0);

        assertThat(t.name()).isEqualTo("everything-to-triage");
        assertThat(t.namespace()).isNull();
        assertThat(t.enabled()).isTrue();
        assertThat(t.apiToken()).isNull();
        assertThat(t.botName()).isEqualTo("aofbot");
        assertThat(t.fromEmail()).isNull();
        assertThat(t.eventTypes()).isEmpty();
        assertThat(t.allowedServices()).isEmpty();
        assertThat(t.allowedTeams()).isEmpty();
        assertThat(t.minPriority()).isNull();
        assertThat(t.minUrgency()).isNull();
        assertThat(t.filter()).isEmpty();
        assertThat(t.parameters().isObject()).isTrue();
        assertThat(t.parameters().isEmpty()).isTrue();
    }

    @Test
    void skipsAgentsAndOtherPlatformsWithoutSubstitutingThem() {
        TriggerSet set = loader.load(fixture("multi-doc.yaml"));

        assertThat(set.triggers()).extracting(Trigger::name)
                .containsExactly("database-incidents", "database-resolutions");
        assertThat(set.byName("database-resolutions").orElseThrow().webhookSecret()).isEqualTo(OTHER_SECRET);
        assertThat(set.byName("database-resolutions").orElseThrow().enabled()).isTrue();
    }

    @Test
    void readsEnabledFromAVariable() {
        Map<String, String> env = new HashMap<>(ENV);
        env.put("RESOLUTIONS_ENABLED", "FALSE");
        TriggerSet set = new TriggerLoader(env).load(fixture("multi-doc.yaml"));
        assertThat(set.byName("database-resolutions").orElseThrow().enabled()).isFalse();
    }

    @Test
    void loadsADirectoryInFileNameOrderSkippingHiddenAndNonYamlFiles() {
        TriggerSet set = loader.load(fixture("ordered"));

        assertThat(set.triggers()).extracting(Trigger::name).containsExactly("first-a", "first-b", "second");
        assertThat(set.triggers()).extracting(t -> t.source().getFileName().toString())
                .containsExactly("10-first.yaml", "10-first.yaml", "20-second.yml");
    }

    @Test
    void loadsAnEmptyDirectoryAsAnEmptySet() {
        assertThat(loader.load(dir).isEmpty()).isTrue();
    }

    @Test
    void substitutesDefaultsForUnsetAndEmptyVariables() throws IOException {
        Map<String, String> env = new HashMap<>(ENV);
        env.put("EMPTY", "");
        Path file = write("t.yaml", """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: subst
                spec:
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: prefix-${TEST_WEBHOOK_SECRET}-$${KEEP}-$$-${EMPTY:-fallback}
                      api_token: ${EMPTY}
                      bot_name: ${BOT:-}
                      min_priority: ${MIN_PRIORITY:-}
                  agent: ${AGENT:-triage}
                """);

        Trigger t = new TriggerLoader(env).load(file).triggers().get(0);

        assertThat(t.webhookSecret()).isEqualTo("prefix-" + SECRET + "-${KEEP}-$$-fallback");
        assertThat(t.apiToken()).as("blank api_token means none").isNull();
        assertThat(t.botName()).isEqualTo("aofbot");
        assertThat(t.minPriority()).isNull();
        assertThat(t.agent()).isEqualTo("triage");
    }

    @Test
    void doesNotRescanSubstitutedValues() throws IOException {
        Path file = write("t.yaml", trigger("webhook_secret: ${TRICKY}"));
        Trigger t = new TriggerLoader(Map.of("TRICKY", "a${TEST_WEBHOOK_SECRET}b")).load(file).triggers().get(0);
        assertThat(t.webhookSecret()).isEqualTo("a${TEST_WEBHOOK_SECRET}b");
    }

    @Test
    void rejectsAMissingPathNamingIt() {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> loader.load(missing))
                .isInstanceOf(TriggerConfigException.class)
                .hasMessage(missing + ": no such file or directory");
    }

    @Test
    void rejectsInvalidYamlNamingFileAndLineWithoutQuotingIt() throws IOException {
        Path file = write("broken.yaml", """
                apiVersion: aof.sh/v1
                kind: Trigger
                spec:
                  platform:
                    config:
                      webhook_secret: literal-secret-value: [unclosed
                """);

        TriggerConfigException e = catchThrowableOfType(TriggerConfigException.class, () -> loader.load(file));

        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).startsWith(file + ": not valid YAML at line 6")
                .doesNotContain("literal-secret-value");
    }

    @Test
    void rejectsDuplicateKeys() throws IOException {
        Path file = write("dup.yaml", trigger("webhook_secret: a-secret\n      webhook_secret: b-secret"));
        assertThatThrownBy(() -> loader.load(file))
                .isInstanceOf(TriggerConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("webhook_secret")
                .hasMessageNotContaining("a-secret")
                .hasMessageNotContaining("b-secret");
    }

    @Test
    void rejectsDuplicateNamesAcrossFilesNamingBothFiles() throws IOException {
        Path first = write("a.yaml", trigger("webhook_secret: ${TEST_WEBHOOK_SECRET}"));
        Path second = write("b.yaml", trigger("webhook_secret: ${OTHER_WEBHOOK_SECRET}"));

        TriggerConfigException e = catchThrowableOfType(TriggerConfigException.class, () -> loader.load(dir));

        assertThat(e.file()).isEqualTo(second);
        assertThat(e.trigger()).isEqualTo("broken");
        assertThat(e.field()).isEqualTo("metadata.name");
        assertThat(e.getMessage()).contains(first.toString(), second.toString(), "duplicate trigger name")
                .doesNotContain(SECRET, OTHER_SECRET);
    }

    @Test
    void rejectsDuplicateNamesInOneFile() throws IOException {
        Path file = write("a.yaml", trigger("webhook_secret: x1") + "---\n" + trigger("webhook_secret: x2"));
        assertThatThrownBy(() -> loader.load(file))
                .hasMessage(file + ": trigger 'broken': metadata.name: duplicate trigger name, also defined earlier"
                        + " in this file");
    }

    @Test
    void rejectsFilesLargerThanOneMebibyte() throws IOException {
        Path file = dir.resolve("huge.yaml");
        String padding = "# " + "x".repeat(1000) + "\n";
        Files.writeString(file, trigger("webhook_secret: s") + padding.repeat(1100));
        assertThatThrownBy(() -> loader.load(file))
                .isInstanceOf(TriggerConfigException.class)
                .hasMessageStartingWith(file + ": larger than the limit of 1048576 bytes");
    }

    @Test
    void rejectsFilesThatAreNotUtf8() throws IOException {
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, trigger("webhook_secret: caf\u00e9").getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> loader.load(file)).hasMessage(file + ": not valid UTF-8");
    }

    @Test
    void rejectsATriggerOfAnotherApiVersion() throws IOException {
        Path file = write("t.yaml", trigger("webhook_secret: s").replace("aof.sh/v1", "aof.sh/v1alpha1"));
        assertThatThrownBy(() -> loader.load(file))
                .hasMessage(file + ": trigger 'broken': apiVersion: must be 'aof.sh/v1' for a Trigger, got"
                        + " 'aof.sh/v1alpha1'");
    }

    @Test
    void rejectsATriggerWithoutName() throws IOException {
        Path file = write("t.yaml", trigger("webhook_secret: s").replace("  name: broken\n", "  namespace: x\n"));
        TriggerConfigException e = catchThrowableOfType(TriggerConfigException.class, () -> loader.load(file));
        assertThat(e.trigger()).isNull();
        assertThat(e.getMessage()).isEqualTo(file + ": metadata.name: is required (document 1 of the file)");
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    /** A valid trigger named "broken" with the given line(s) in spec.platform.config. */
    static String trigger(String configLines) {
        return """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: broken
                spec:
                  platform:
                    type: pagerduty
                    config:
                      %s
                  agent: ops-agent
                """.formatted(configLines);
    }
}
