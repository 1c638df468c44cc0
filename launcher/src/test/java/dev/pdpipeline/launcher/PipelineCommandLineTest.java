package dev.pdpipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

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

class PipelineCommandLineTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

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

    @ParameterizedTest
    @ValueSource(strings = {"local", "ingress", "processor", "send-test-event"})
    void everySubcommandExplainsItselfWithHelp(String subcommand) {
        assertThat(run(subcommand, "--help")).isZero();
        assertThat(out.toString()).contains("Usage: pipeline " + subcommand).contains("--help");
    }

    @Test
    void topLevelHelpListsTheSubcommandsAndExitCodes() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("local", "ingress", "processor", "send-test-event", "Exit codes");
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertThat(run("local", "--no-such-option")).isEqualTo(2);
        assertThat(err.toString()).contains("--no-such-option");
    }

    @Test
    void missingTriggerPathIsAConfigurationErrorNamingTheVariable(@TempDir Path dir) {
        Environment.override(Map.of("TRIGGERS_PATH", dir.resolve("nope.yaml").toString(),
                "KAFKA_BOOTSTRAP_SERVERS", "localhost:1"));
        assertThat(run("ingress")).isEqualTo(Pipeline.EXIT_CONFIG);
        assertThat(err.toString()).contains("Configuration error").contains("nope.yaml");
    }

    @Test
    void invalidTriggerFileIsAConfigurationErrorNamingTheField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, String.join("\n",
                "apiVersion: aof.sh/v1",
                "kind: Trigger",
                "metadata:",
                "  name: broken",
                "spec:",
                "  platform:",
                "    type: pagerduty",
                "    config:",
                "      webhook_secret: s3cret-value",
                "      min_priority: P9",
                "  agent: a",
                ""));
        Environment.override(Map.of("TRIGGERS_PATH", file.toString(), "KAFKA_BOOTSTRAP_SERVERS", "localhost:1"));
        assertThat(run("processor")).isEqualTo(Pipeline.EXIT_CONFIG);
        assertThat(err.toString()).contains("bad.yaml").contains("broken").contains("min_priority")
                .doesNotContain("s3cret-value");
    }

    @Test
    void sendTestEventReportsAnUnreachableIngressWithExitCodeOne() {
        assertThat(run("send-test-event", "--url", "http://127.0.0.1:1/webhooks/pagerduty")).isEqualTo(1);
        assertThat(err.toString()).contains("Cannot connect");
    }

    @Test
    void sendTestEventRejectsAnUnknownEventType() {
        assertThat(run("send-test-event", "--event-type", "incident.exploded")).isNotZero();
        assertThat(err.toString()).contains("unknown event type");
    }
}
