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

/** AOF's newer aof.dev/v1 PagerDuty Triggers: mapping onto the Trigger model, routing rules, errors. */
class AofDevTriggerLoaderTest {

    private static final String SECRET = "whsec-dev-do-not-leak-31";
    private static final String KEY = "u+dev-key-do-not-leak-77";
    private static final Map<String, String> ENV = Map.of("PD_SECRET", SECRET, "PD_KEY", KEY, "FLAG", "false");

    /** Shaped like AOF's examples/triggers/pagerduty.yaml, with the optional fields this pipeline maps. */
    private static final String AOF_LIKE = """
            # PagerDuty Webhook Trigger
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata:
              name: pagerduty-incidents
              labels:
                platform: pagerduty
            spec:
              type: PagerDuty
              config:
                path: /webhook/pagerduty
                webhook_secret: ${PD_SECRET}
                api_key: ${PD_KEY}
                service_ids:
                  - PXXXXXX
                  - PYYYYYY
              commands:
                incident.triggered:
                  flow: incident-flow
                  description: "Auto-triggered incident response"
                incident.acknowledged:
                  agent: devops
                  description: "Incident acknowledged"
                incident.escalated:
                  fleet: rca-fleet
              default_agent: devops
            """;

    @TempDir
    Path dir;

    private Trigger load(String yaml) throws IOException {
        TriggerSet set = new TriggerLoader(ENV).load(Files.writeString(dir.resolve("pd.yaml"), yaml));
        assertThat(set.triggers()).hasSize(1);
        return set.triggers().get(0);
    }

    private TriggerConfigException error(String yaml) throws IOException {
        Path file = Files.writeString(dir.resolve("broken.yaml"), yaml);
        TriggerConfigException e = catchThrowableOfType(() -> new TriggerLoader(ENV).load(file),
                TriggerConfigException.class);
        assertThat(e).as("expected an error").isNotNull();
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).contains(file.toString()).doesNotContain(SECRET).doesNotContain(KEY);
        return e;
    }

    @Test
    void mapsConfigFieldsOntoTheTriggerModel() throws IOException {
        Trigger t = load(AOF_LIKE);

        assertThat(t.isAofDev()).isTrue();
        assertThat(t.apiVersion()).isEqualTo("aof.dev/v1");
        assertThat(t.name()).isEqualTo("pagerduty-incidents");
        assertThat(t.webhookSecret()).isEqualTo(SECRET);
        assertThat(t.apiToken()).isEqualTo(KEY);
        assertThat(t.allowedServices()).containsExactly("PXXXXXX", "PYYYYYY");
        assertThat(t.eventTypes()).isEmpty();
        assertThat(t.enabled()).isTrue();
        assertThat(t.botName()).isEqualTo(Trigger.DEFAULT_BOT_NAME);
        assertThat(t.defaultAgent()).isEqualTo("devops");
        assertThat(t.agent()).as("agent() of an aof.dev/v1 trigger is its default_agent").isEqualTo("devops");
        assertThat(t.notUsed()).singleElement().asString().startsWith("spec.config.path: not used by this pipeline");
        assertThat(t.toString()).doesNotContain(SECRET).doesNotContain(KEY);
    }

    @Test
    void eachEventTypeGoesToItsCommandAndTheRestToTheDefaultAgent() throws IOException {
        Trigger t = load(AOF_LIKE);

        assertThat(t.routeFor("incident.triggered")).contains(
                new Route(new Target(Target.Kind.FLOW, "incident-flow"), "spec.commands.incident.triggered"));
        assertThat(t.targetFor("incident.acknowledged")).contains(Target.agent("devops"));
        assertThat(t.targetFor("incident.escalated")).contains(new Target(Target.Kind.FLEET, "rca-fleet"));
        assertThat(t.routeFor("incident.resolved")).contains(new Route(Target.agent("devops"), "spec.default_agent"));
        assertThat(t.targets()).containsExactly(new Target(Target.Kind.FLOW, "incident-flow"), Target.agent("devops"),
                new Target(Target.Kind.FLEET, "rca-fleet"));
    }

    @Test
    void withoutDefaultAgentEventTypesWithoutACommandAreNotRouted() throws IOException {
        Trigger t = load(AOF_LIKE.replace("  default_agent: devops\n", ""));

        assertThat(t.defaultAgent()).isNull();
        assertThat(t.targetFor("incident.resolved")).isEmpty();
        assertThat(t.targetFor("incident.triggered")).contains(new Target(Target.Kind.FLOW, "incident-flow"));
        assertThat(t.agent()).as("display name: the first command's target").isEqualTo("incident-flow");
    }

    @Test
    void anAofShTriggerSendsEveryEventTypeToItsAgent() {
        Trigger t = new Trigger("sh", null, null, "ops-agent", true, "s", null, null, null, null, null, null, null,
                null, null, null);
        assertThat(t.isAofDev()).isFalse();
        assertThat(t.routeFor("incident.resolved")).contains(new Route(Target.agent("ops-agent"), "spec.agent"));
        assertThat(t.routeFor("service.updated")).contains(new Route(Target.agent("ops-agent"), "spec.agent"));
        assertThat(t.targets()).containsExactly(Target.agent("ops-agent"));
    }

    @Test
    void eventsUrgenciesStatusesAndEnabledAreHonoured() throws IOException {
        Trigger t = load(AOF_LIKE.replace("    service_ids:", "    events: [incident.triggered, incident.acknowledged]\n"
                + "    urgencies: [High]\n    statuses: [triggered, acknowledged]\n    service_ids:").replace("  default_agent: devops", "  default_agent: devops\n  enabled: ${FLAG}"));

        assertThat(t.eventTypes()).containsExactly("incident.triggered", "incident.acknowledged");
        assertThat(t.filter()).containsEntry("urgency", java.util.List.of("high"))
                .containsEntry("status", java.util.List.of("triggered", "acknowledged"));
        assertThat(t.enabled()).isFalse();
        assertThat(t.notUsed()).anyMatch(n -> n.startsWith("spec.commands.incident.escalated: not used")
                && n.contains("not in spec.config.events"));
        assertThat(t.commands()).containsOnlyKeys("incident.triggered", "incident.acknowledged");
    }

    @Test
    void fieldsThatDoNotApplyAreAcceptedAndReportedAsNotUsed() throws IOException {
        Trigger t = load(AOF_LIKE.replace("    path: /webhook/pagerduty", "    path: /webhook/pagerduty\n"
                + "    methods: [POST]\n    routing_key: R0123\n    port: 8080").replace("  commands:", "  commands:\n    /ack:\n      agent: incident-agent"));

        assertThat(t.notUsed()).extracting(n -> n.substring(0, n.indexOf(':'))).containsExactly(
                "spec.config.path", "spec.config.methods", "spec.config.routing_key", "spec.config.port",
                "spec.commands./ack");
        assertThat(t.commands()).doesNotContainKey("/ack");
    }

    @Test
    void aCommandWithBothAgentAndFlowIsAnError() throws IOException {
        TriggerConfigException e = error(AOF_LIKE.replace("      flow: incident-flow",
                "      flow: incident-flow\n      agent: devops"));
        assertThat(e.trigger()).isEqualTo("pagerduty-incidents");
        assertThat(e.field()).isEqualTo("spec.commands.incident.triggered");
        assertThat(e.problem()).contains("both flow and agent", "exactly one");
    }

    @Test
    void anUnknownTargetKindIsAnError() throws IOException {
        TriggerConfigException e = error(AOF_LIKE.replace("      flow: incident-flow", "      workflow: incident-flow"));
        assertThat(e.trigger()).isEqualTo("pagerduty-incidents");
        assertThat(e.field()).isEqualTo("spec.commands.incident.triggered.workflow");
        assertThat(e.problem()).contains("unknown target kind", "agent, flow or fleet");
    }

    @Test
    void aMissingSecretIsAnErrorThatShowsNoSecret() throws IOException {
        TriggerConfigException e = error(AOF_LIKE.replace("    webhook_secret: ${PD_SECRET}\n", ""));
        assertThat(e.trigger()).isEqualTo("pagerduty-incidents");
        assertThat(e.field()).isEqualTo("spec.config.webhook_secret");
        assertThat(e.problem()).contains("is required");
    }

    static Stream<Arguments> otherErrors() {
        return Stream.of(
                Arguments.of("a field that would change routing", "    path: /webhook/pagerduty",
                        "    required_headers: {X-Token: abc}", "spec.config.required_headers",
                        "cannot honour it"),
                Arguments.of("an unknown config field", "    path: /webhook/pagerduty", "    servce_ids: [P1]",
                        "spec.config.servce_ids", "unknown field"),
                Arguments.of("a command without target", "      flow: incident-flow\n", "",
                        "spec.commands.incident.triggered", "names no target"),
                Arguments.of("an illegal target name", "flow: incident-flow", "flow: incident flow",
                        "spec.commands.incident.triggered.flow", "not a legal flow name"),
                Arguments.of("an illegal default agent", "default_agent: devops", "default_agent: dev/ops",
                        "spec.default_agent", "not a legal agent name"),
                Arguments.of("a bad urgency", "    path: /webhook/pagerduty", "    urgencies: [urgent]",
                        "spec.config.urgencies[0]", "must be one of high, low"),
                Arguments.of("the aof.sh/v1 apiVersion on an aof.dev/v1 layout", "apiVersion: aof.dev/v1",
                        "apiVersion: aof.sh/v1", "apiVersion", "must be 'aof.dev/v1'"),
                Arguments.of("a misspelt kind", "kind: Trigger", "kind: trigger", "kind", "must be 'Trigger'"),
                Arguments.of("a secret in the wrong type", "webhook_secret: ${PD_SECRET}", "webhook_secret: [x]",
                        "spec.config.webhook_secret", "must be a string"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("otherErrors")
    void otherProblemsNameFileTriggerAndField(String name, String find, String replace, String field,
            String problem) throws IOException {
        assertThat(AOF_LIKE).contains(find);
        TriggerConfigException e = error(AOF_LIKE.replace(find, replace));
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.problem()).contains(problem);
        assertThat(e.trigger()).isEqualTo("pagerduty-incidents");
    }

    @Test
    void aTriggerThatRoutesNothingIsAnError() throws IOException {
        String yaml = AOF_LIKE.substring(0, AOF_LIKE.indexOf("  commands:"));
        TriggerConfigException e = error(yaml);
        assertThat(e.field()).isEqualTo("spec.commands");
        assertThat(e.problem()).contains("routes nothing");
    }

    @Test
    void otherDocumentsAreSkippedWithTheirReason() throws IOException {
        Path file = Files.writeString(dir.resolve("mixed.yaml"), AOF_LIKE + """
                ---
                apiVersion: aof.dev/v1
                kind: Trigger
                metadata:
                  name: slack-prod
                spec:
                  type: Slack
                  config:
                    bot_token: ${SLACK_BOT_TOKEN_UNSET}
                ---
                apiVersion: aof.dev/v1
                kind: Fleet
                metadata:
                  name: rca-fleet
                ---
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: opsgenie
                spec:
                  platform:
                    type: opsgenie
                ---
                """);
        TriggerSet set = new TriggerLoader(ENV).load(file);

        assertThat(set.triggers()).extracting(Trigger::name).containsExactly("pagerduty-incidents");
        assertThat(set.skipped()).extracting(SkippedDocument::index, SkippedDocument::name, SkippedDocument::reason)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(2, "slack-prod", "platform slack, not a PagerDuty Trigger"),
                        org.assertj.core.groups.Tuple.tuple(3, "rca-fleet", "kind Fleet, not a Trigger"),
                        org.assertj.core.groups.Tuple.tuple(4, "opsgenie", "platform opsgenie, not a PagerDuty Trigger"));
        assertThat(set.skipped().get(0).describe()).isEqualTo(file + " (document 2): Trigger 'slack-prod': skipped:"
                + " platform slack, not a PagerDuty Trigger");
    }

    @Test
    void bothSchemasLoadSideBySide() throws IOException {
        Files.writeString(dir.resolve("a-dev.yaml"), AOF_LIKE);
        Files.writeString(dir.resolve("b-sh.yaml"), """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: classic
                spec:
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${PD_SECRET}
                  agent: ops-agent
                """);
        TriggerSet set = new TriggerLoader(ENV).load(dir);
        assertThat(set.triggers()).extracting(Trigger::name, Trigger::apiVersion).containsExactly(
                org.assertj.core.groups.Tuple.tuple("pagerduty-incidents", "aof.dev/v1"),
                org.assertj.core.groups.Tuple.tuple("classic", "aof.sh/v1"));
        assertThat(set.skipped()).isEmpty();
    }
}
