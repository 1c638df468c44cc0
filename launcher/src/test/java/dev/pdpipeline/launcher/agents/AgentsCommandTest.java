package dev.pdpipeline.launcher.agents;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.cli.Environment;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code bin/pipeline agents check}'s options and usage errors, without a broker. */
class AgentsCommandTest {

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

    @Test
    void checkExplainsItsOptionsAndExitCodes() {
        assertThat(run("agents", "check", "--help")).isZero();
        assertThat(out.toString()).contains("Usage: pipeline agents check").contains("--agent=NAME")
                .contains("--since=AGE").contains("--json").contains("1 dead-lettered results found");
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("agents");
    }

    @Test
    void badOptionsAreUsageErrorsBeforeAnyKafkaIsContacted() {
        Environment.override(Map.of("KAFKA_BOOTSTRAP_SERVERS", "localhost:1"));
        assertThat(run("agents", "check", "--since", "yesterday-ish")).isEqualTo(2);
        assertThat(run("agents", "check", "--agent", " ")).isEqualTo(2);
        assertThat(run("agents", "check", "--colour")).isEqualTo(2);
        assertThat(err.toString()).contains("--colour");
    }

    @Test
    void theResultSchemaShipsWithTheLauncherAndExplainsWhatIsWrong() {
        ResultSchema schema = ResultSchema.load();
        assertThat(schema.errors("{\"request_id\":\"r\",\"incident_id\":\"Q1\",\"agent\":\"a\",\"note\":\"n\"}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEmpty();
        assertThat(schema.errors("{\"request_id\":\"r\",\"incident_id\":\"Q 1\",\"agent\":\"a\",\"status\":\"closed\"}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .anySatisfy(e -> assertThat(e).startsWith("/incident_id:"))
                .anySatisfy(e -> assertThat(e).startsWith("/status:"));
        assertThat(schema.errors("nope".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .singleElement().asString().contains("not JSON");
        assertThat(schema.errors(new byte[0])).singleElement().asString().contains("empty value");
    }
}
