package dev.pdpipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.trigger.SecretFingerprint;
import dev.pdpipeline.launcher.cli.Environment;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** {@code triggers validate}, and the usage side of replay/explain (no broker needed). */
class TriggersValidateCommandTest {

    private static final String SECRET = "validate-secret-value-42";
    private static final String TOKEN = "u+api-token-value-99";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    @AfterEach
    void restoreEnvironment() {
        Environment.override(null);
    }

    private int run(String... args) {
        CommandLine cli = Pipeline.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private Path file(String... configLines) throws Exception {
        StringBuilder b = new StringBuilder(String.join("\n",
                "apiVersion: aof.sh/v1",
                "kind: Trigger",
                "metadata:",
                "  name: payments-triage",
                "spec:",
                "  agent: payments-agent",
                "  parameters:",
                "    depth: 3",
                "  platform:",
                "    type: pagerduty",
                "    config:",
                "      webhook_secret: ${PD_SECRET}",
                "      api_token: ${PD_TOKEN}",
                "      min_priority: P2",
                ""));
        for (String line : configLines) {
            b.append("      ").append(line).append('\n');
        }
        Path f = dir.resolve("payments.yaml");
        Files.writeString(f, b.toString());
        return f;
    }

    @Test
    void validFileIsPrintedWithSecretsMaskedAndTheSecretFingerprintShown() throws Exception {
        Path f = file("event_types: [incident.triggered]");
        Environment.override(Map.of("PD_SECRET", SECRET, "PD_TOKEN", TOKEN));

        assertThat(run("triggers", "validate", f.toString())).as(err.toString()).isZero();

        assertThat(out.toString()).contains("1 trigger(s), valid", "payments-triage", "payments-agent",
                "agent.payments-agent.requests", SecretFingerprint.of(SECRET), "****", "P2", "incident.triggered",
                "depth").doesNotContain(SECRET).doesNotContain(TOKEN);
        assertThat(err.toString()).doesNotContain(SECRET).doesNotContain(TOKEN);
    }

    @Test
    void jsonOutputMasksSecretsToo() throws Exception {
        Path f = file();
        Environment.override(Map.of("PD_SECRET", SECRET, "PD_TOKEN", TOKEN, "TRIGGERS_PATH", f.toString()));

        assertThat(run("triggers", "validate", "--json")).as(err.toString()).isZero();

        JsonNode json = Json.mapper().readTree(out.toString()).get(0);
        assertThat(json.get("secret_fingerprint").asText()).isEqualTo(SecretFingerprint.of(SECRET));
        assertThat(json.get("webhook_secret").asText()).isEqualTo("****");
        assertThat(json.get("api_token").asText()).isEqualTo("****");
        assertThat(out.toString()).doesNotContain(SECRET).doesNotContain(TOKEN);
    }

    @Test
    void missingVariableIsAConfigurationErrorNamingFileTriggerAndField() throws Exception {
        Path f = file();
        Environment.override(Map.of("PD_SECRET", SECRET));

        assertThat(run("triggers", "validate", f.toString())).isEqualTo(Pipeline.EXIT_CONFIG);

        assertThat(err.toString()).contains("payments.yaml", "payments-triage", "spec.platform.config.api_token",
                "PD_TOKEN").doesNotContain(SECRET);
    }

    @Test
    void badFieldIsAConfigurationError() throws Exception {
        Path f = file("min_urgency: urgent");
        Environment.override(Map.of("PD_SECRET", SECRET, "PD_TOKEN", TOKEN));

        assertThat(run("triggers", "validate", f.toString())).isEqualTo(Pipeline.EXIT_CONFIG);
        assertThat(err.toString()).contains("min_urgency");
    }

    @Test
    void aofDevTriggersShowTheirCommandsAndEverySkippedDocumentIsListed() throws Exception {
        Files.writeString(dir.resolve("pagerduty.yaml"), String.join("\n",
                "apiVersion: aof.dev/v1",
                "kind: Trigger",
                "metadata:",
                "  name: pagerduty-incidents",
                "spec:",
                "  type: PagerDuty",
                "  config:",
                "    path: /webhook/pagerduty",
                "    webhook_secret: ${PD_SECRET}",
                "    api_key: ${PD_TOKEN}",
                "    service_ids: [PXXXXXX]",
                "  commands:",
                "    incident.triggered:",
                "      flow: incident-flow",
                "  default_agent: devops",
                "---",
                "apiVersion: aof.dev/v1",
                "kind: Agent",
                "metadata:",
                "  name: devops",
                ""));
        Files.writeString(dir.resolve("slack.yaml"), String.join("\n",
                "apiVersion: aof.dev/v1", "kind: Trigger", "metadata:", "  name: slack-prod", "spec:", "  type: Slack",
                ""));
        Environment.override(Map.of("PD_SECRET", SECRET, "PD_TOKEN", TOKEN));

        assertThat(run("triggers", "validate", dir.toString())).as(err.toString()).isZero();

        assertThat(out.toString()).contains("1 trigger(s), valid (1 enabled); 2 document(s) skipped",
                "aof.dev/v1", "incident.triggered", "flow incident-flow", "agent.incident-flow.requests",
                "default_agent:", "devops  -> topic agent.devops.requests",
                "note: spec.config.path: not used by this pipeline",
                "pagerduty.yaml (document 2): Agent 'devops': skipped: kind Agent, not a Trigger",
                "slack.yaml (document 1): Trigger 'slack-prod': skipped: platform slack, not a PagerDuty Trigger")
                .doesNotContain(SECRET).doesNotContain(TOKEN);

        out.getBuffer().setLength(0);
        assertThat(run("triggers", "validate", "--json", dir.toString())).as(err.toString()).isZero();
        JsonNode json = Json.mapper().readTree(out.toString()).get(0);
        assertThat(json.get("api_version").asText()).isEqualTo("aof.dev/v1");
        assertThat(json.at("/commands/incident.triggered/kind").asText()).isEqualTo("flow");
        assertThat(json.at("/commands/incident.triggered/topic").asText()).isEqualTo("agent.incident-flow.requests");
        assertThat(json.get("default_agent").asText()).isEqualTo("devops");
        assertThat(json.get("not_used").get(0).asText()).startsWith("spec.config.path");
        assertThat(err.toString()).contains("slack-prod", "skipped: platform slack");
    }

    @Test
    void aFolderWithoutPagerDutyTriggersNamesWhatItSkipped() throws Exception {
        Files.writeString(dir.resolve("slack.yaml"), String.join("\n",
                "apiVersion: aof.dev/v1", "kind: Trigger", "metadata:", "  name: slack-prod", "spec:", "  type: Slack",
                ""));
        assertThat(run("triggers", "validate", dir.toString())).isEqualTo(Pipeline.EXIT_CONFIG);
        assertThat(err.toString()).contains("no Trigger of platform pagerduty found", "1 document(s) skipped",
                "Trigger 'slack-prod': skipped: platform slack, not a PagerDuty Trigger");
    }

    @Test
    void pathWithoutTriggersIsAConfigurationError() {
        assertThat(run("triggers", "validate", dir.toString())).isEqualTo(Pipeline.EXIT_CONFIG);
        assertThat(err.toString()).contains("no Trigger");
    }

    @ParameterizedTest
    @ValueSource(strings = {"replay", "explain", "triggers", "triggers validate"})
    void newSubcommandsExplainThemselves(String command) {
        String[] args = (command + " --help").split(" ");
        assertThat(run(args)).isZero();
        assertThat(out.toString()).contains("Usage: pipeline " + command);
    }

    @Test
    void replayWithoutASelectionIsAUsageError() {
        assertThat(run("replay")).isEqualTo(2);
        assertThat(err.toString()).contains("Choose what to replay");
    }

    @Test
    void replayWithABadSinceIsAUsageErrorShowingTheForm() {
        assertThat(run("replay", "--since", "a week")).isEqualTo(2);
        assertThat(err.toString()).contains("--since", "7d, 12h, 30m");
    }

    @Test
    void explainNeedsAnIncidentOrAnEvent() {
        assertThat(run("explain")).isEqualTo(2);
        assertThat(run("explain", "--incident", "Q1", "--event", "E1")).isEqualTo(2);
    }
}
