package dev.pdpipeline.launcher.dlq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.launcher.local.LocalPipeline;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A result PagerDuty rejected (the incident is unknown to it) is dead-lettered; once the cause is
 * fixed, {@code bin/pipeline dlq redrive --topic results} writes the note exactly once, and a
 * second re-drive sends nothing, says so and exits 0. Runs the whole local pipeline (embedded
 * Kafka, ingress, processor, example agent) against the fake PagerDuty.
 */
class DlqRedriveIT {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String TOKEN = "dlq-it-token";
    private static final String INCIDENT = "Q1DLQREDRIVE";

    @TempDir
    Path dataDir;

    @AfterEach
    void restoreEnvironment() {
        Environment.override(null);
    }

    @Test
    void aResultDeadLetteredByPagerDutyIsWrittenOnceAfterTheFixAndASecondRedriveDoesNothing() throws Exception {
        try (FakePagerDuty pagerDuty = FakePagerDuty.start(TOKEN)) {
            Map<String, String> env = new HashMap<>();
            env.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:" + freePort());
            env.put("LOCAL_DATA_DIR", dataDir.toString());
            env.put("INGRESS_PORT", "0");
            env.put("MANAGEMENT_PORT", "0");
            env.put("PAGERDUTY_API_URL", pagerDuty.url().toString());
            env.put("PAGERDUTY_API_TOKEN", TOKEN);
            env.put("PAGERDUTY_FROM_EMAIL", "bot@example.com");
            Map<String, String> localEnv = LocalPipeline.withLocalDefaults(env, REPO);

            try (LocalPipeline pipeline = LocalPipeline.start(localEnv)) {
                await().atMost(Duration.ofSeconds(120)).until(pipeline::isReady);
                Environment.override(localEnv);
                String url = "http://localhost:" + pipeline.ingressPort() + "/webhooks/pagerduty";
                assertThat(run("send-test-event", "--url", url, "--incident", INCIDENT).out).contains("202");

                // PagerDuty does not know the incident (yet): 404, the result is dead-lettered
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    Run list = run("dlq", "list", "--topic", "results", "--incident", INCIDENT, "--json");
                    assertThat(list.exit).as(list.err).isZero();
                    assertThat(list.out.lines().toList()).hasSize(1);
                });
                JsonNode entry = Json.mapper().readTree(
                        run("dlq", "list", "--topic", "results", "--json").out.lines().findFirst().orElseThrow());
                assertThat(entry.path("reason").asText()).isEqualTo("pagerduty_rejected");
                assertThat(entry.path("incident").asText()).isEqualTo(INCIDENT);
                assertThat(entry.path("source").path("topic").asText()).isEqualTo(pipeline.topics().results());
                assertThat(entry.path("redriven").asBoolean()).isFalse();
                assertThat(pagerDuty.notes(INCIDENT)).isEmpty();

                Run dryRun = run("dlq", "redrive", "--topic", "results", "--dry-run");
                assertThat(dryRun.exit).isZero();
                assertThat(dryRun.out).contains("would re-drive " + entry.path("id").asText());
                long resultsEnd = endOffsets(pipeline.bootstrapServers(), pipeline.topics().results());

                // the cause is fixed: the incident exists now
                pagerDuty.incidents(INCIDENT);
                Run first = run("dlq", "redrive", "--topic", "results");
                assertThat(first.exit).as(first.err).isZero();
                assertThat(first.out).contains("Re-drove 1 entries");
                long afterFirst = endOffsets(pipeline.bootstrapServers(), pipeline.topics().results());
                assertThat(afterFirst).isGreaterThan(resultsEnd);
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(pagerDuty.notes(INCIDENT)).hasSize(1));

                Run second = run("dlq", "redrive", "--topic", "results");
                assertThat(second.exit).as(second.err).isZero();
                assertThat(second.out).contains("Nothing to re-drive").contains("re-driven before");
                // nothing went back to the results topic, so nothing more can reach PagerDuty
                assertThat(endOffsets(pipeline.bootstrapServers(), pipeline.topics().results())).isEqualTo(afterFirst);
                assertThat(run("dlq", "list", "--topic", "results", "--json").out).contains("\"redriven\":true");
                assertThat(pagerDuty.notes(INCIDENT)).hasSize(1);
            }
        }
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(run("dlq", "redrive").exit).isEqualTo(2);
        assertThat(run("dlq", "redrive", "--topic", "nowhere").exit).isEqualTo(2);
        assertThat(run("dlq", "list", "--since", "yesterday").exit).isEqualTo(2);
        assertThat(run("dlq", "show", "12").exit).isEqualTo(2);
    }

    @Test
    void everyDlqSubcommandHasHelp() {
        for (String sub : List.of("list", "show", "redrive")) {
            Run help = run("dlq", sub, "--help");
            assertThat(help.exit).isZero();
            assertThat(help.out).contains("Exit codes").contains("--reason").contains("--incident").contains("--since")
                    .contains("--json");
        }
        assertThat(run("dlq", "redrive", "--help").out).contains("--dry-run").contains("--topic");
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Pipeline.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static long endOffsets(String bootstrap, String topic) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
            long sum = 0;
            for (var info : admin.listOffsets(latest).all().get().values()) {
                sum += info.offset();
            }
            return sum;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
