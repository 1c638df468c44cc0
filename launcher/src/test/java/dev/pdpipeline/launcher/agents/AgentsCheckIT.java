package dev.pdpipeline.launcher.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.common.signature.WebhookSignature;
import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.launcher.sample.SampleEvents;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/pipeline agents check} against a real broker after the real processor handled one
 * good result (plus its duplicate) and several bad ones: counts per agent, the first offender of
 * each reason with what the schema says, and the exit codes.
 */
class AgentsCheckIT {

    private static final TestKafka KAFKA = TestKafka.shared();
    private static final String SECRET = "agents-check-it-secret-01";
    private static final String TOKEN = "agents-check-it-token";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final String noisy = "noisy-" + suffix;
    private final String clean = "clean-" + suffix;
    private final Map<String, String> env = new HashMap<>();
    private FakePagerDuty fake;
    private IngressService ingress;
    private ProcessorService processor;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void startPipeline() throws Exception {
        fake = FakePagerDuty.start(TOKEN).incidents("QAC1");
        Path triggers = dir.resolve("triggers.yaml");
        Files.writeString(triggers, trigger(noisy) + "---\n" + trigger(clean));
        env.put("KAFKA_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("AC_SECRET", SECRET);
        env.put("RAW_TOPIC", KAFKA.uniqueTopic("raw"));
        env.put("DLQ_TOPIC", KAFKA.uniqueTopic("dlq"));
        env.put("RESULTS_TOPIC", KAFKA.uniqueTopic("results"));
        env.put("RESULTS_DLQ_TOPIC", KAFKA.uniqueTopic("results-dlq"));
        env.put("REQUEST_LOG_TOPIC", KAFKA.uniqueTopic("requests"));
        env.put("RESULTS_LEDGER_TOPIC", KAFKA.uniqueTopic("ledger"));
        env.put("DECISIONS_TOPIC", KAFKA.uniqueTopic("decisions"));
        env.put("INGRESS_PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("APPLICATION_ID", "agents-check-it-" + suffix);
        env.put("STATE_DIR", dir.resolve("state").toString());
        env.put("PAGERDUTY_API_URL", fake.url().toString());
        env.put("PAGERDUTY_API_TOKEN", TOKEN);
        env.put("PAGERDUTY_FROM_EMAIL", "oncall-bot@example.com");
        env.put("NOTES_UNKNOWN_REQUEST_GRACE_MS", "1000");
        processor = ProcessorService.start(ProcessorConfig.fromEnv(env), MeterRegistries.prometheus());
        ingress = IngressService.start(IngressConfig.fromEnv(env), MeterRegistries.prometheus());
        await().atMost(Duration.ofSeconds(90)).until(() -> ingress.isReady() && processor.isReady());
    }

    @AfterEach
    void stopPipeline() {
        Environment.override(null);
        if (ingress != null) {
            ingress.close();
        }
        if (processor != null) {
            processor.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    @Test
    void reportsWrittenDuplicateAndDeadLetteredResultsPerAgentAndExitsOneWhenAnyWasDeadLettered() throws Exception {
        byte[] body = SampleEvents.delivery(triggered(UUID.randomUUID().toString(), "QAC1"));
        assertThat(post(body).statusCode()).isEqualTo(202);
        String noisyRequest = requestId("agent." + noisy + ".requests");
        String cleanRequest = requestId("agent." + clean + ".requests");

        String good = result(noisyRequest, "QAC1", noisy, "\"note\":\"Disk full on db-1.\"");
        publish("QAC1", good);
        publish("QAC1", good); // published twice: written once
        publish("QAC1", "this is not json");
        publish("QAC1", result(noisyRequest, "QAC1", noisy, "\"from_email\":\"bot@example.com\""));
        publish("QAC1", result(noisyRequest, "QAC1", noisy, "\"status\":\"closed\""));
        publish("QAC1", result(noisyRequest, "QOTHER", noisy, "\"note\":\"wrong incident\""));
        publish("QAC1", result("0".repeat(32), "QAC1", noisy, "\"note\":\"who asked?\""));
        publish("QAC1", result(cleanRequest, "QAC1", clean, "\"note\":\"All good.\""));

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(fake.notes("QAC1")).hasSize(2));
        KAFKA.readAll(env.get("RESULTS_DLQ_TOPIC"), 5, Duration.ofSeconds(60));

        // everything, as JSON
        assertThat(run("agents", "check", "--json")).as(err.toString()).isEqualTo(1);
        JsonNode report = Json.mapper().readTree(out.toString());
        assertThat(report.get("dead_lettered").asBoolean()).isTrue();
        JsonNode n = agent(report, noisy);
        assertThat(n.get("seen").asLong()).isEqualTo(6);
        assertThat(n.get("written").asLong()).isEqualTo(1);
        assertThat(n.get("duplicates_skipped").asLong()).isEqualTo(1);
        assertThat(n.get("dead_lettered").asLong()).isEqualTo(4);
        JsonNode reasons = n.get("dead_letters");
        assertThat(reasons.fieldNames()).toIterable()
                .containsExactlyInAnyOrder("missing_field", "unknown_status", "request_mismatch", "unknown_request");
        assertThat(reasons.at("/unknown_status/first/schema_valid").asBoolean()).isFalse();
        assertThat(reasons.at("/unknown_status/first/schema_errors").toString()).contains("/status");
        assertThat(reasons.at("/unknown_status/first/detail").asText()).contains("closed");
        assertThat(reasons.at("/missing_field/first/schema_errors")).isNotEmpty();
        assertThat(reasons.at("/request_mismatch/first/schema_valid").asBoolean()).isTrue();
        assertThat(reasons.at("/request_mismatch/first/hint").asText()).contains("incident_id");
        assertThat(reasons.at("/request_mismatch/first/value").asText()).contains("QOTHER");
        assertThat(reasons.at("/unknown_request/count").asLong()).isEqualTo(1);
        JsonNode c = agent(report, clean);
        assertThat(c.get("written").asLong()).isEqualTo(1);
        assertThat(c.get("dead_lettered").asLong()).isZero();
        assertThat(report.at("/unattributed/dead_letters/invalid_json/count").asLong()).isEqualTo(1);
        assertThat(report.at("/unattributed/dead_letters/invalid_json/first/schema_errors").toString())
                .contains("not JSON");

        // one agent, as text: its CI can run this
        assertThat(run("agents", "check", "--agent", noisy, "--since", "1h")).isEqualTo(1);
        assertThat(out.toString()).contains("agent " + noisy + ": 6 seen, 1 written, 1 skipped as duplicates")
                .contains("unknown_status: 1; first: " + env.get("RESULTS_TOPIC"))
                .contains("schema: /status:")
                .contains("request_mismatch: 1").contains("valid by schemas/result.schema.json")
                .doesNotContain("agent " + clean + ":");
        assertThat(run("agents", "check", "--agent", clean, "--since", "1h")).as(out.toString()).isZero();
        assertThat(out.toString()).contains("agent " + clean + ": 1 seen, 1 written").contains("Nothing dead-lettered.");

        // a usage error and a configuration error
        assertThat(run("agents", "check", "--since", "soon")).isEqualTo(2);
        env.put("RESULTS_DLQ_TOPIC", "no-such-topic-" + suffix);
        assertThat(run("agents", "check")).isEqualTo(3);
        assertThat(err.toString()).contains("RESULTS_DLQ_TOPIC").contains("no-such-topic-" + suffix);
    }

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        Environment.override(env);
        var cli = Pipeline.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private static JsonNode agent(JsonNode report, String name) {
        for (JsonNode a : report.get("agents")) {
            if (name.equals(a.get("agent").asText())) {
                return a;
            }
        }
        throw new AssertionError("no agent " + name + " in " + report);
    }

    private String requestId(String topic) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> routed = KAFKA.readAll(topic, 1, Duration.ofSeconds(60));
        return Json.mapper().readTree(routed.get(0).value()).get("request_id").asText();
    }

    private static String result(String requestId, String incident, String agent, String rest) {
        return "{\"request_id\":\"" + requestId + "\",\"incident_id\":\"" + incident + "\",\"agent\":\"" + agent
                + "\"," + rest + "}";
    }

    private void publish(String key, String value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KAFKA.producerProps())) {
            producer.send(new ProducerRecord<>(env.get("RESULTS_TOPIC"), key.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static String trigger(String agent) {
        return String.join("\n",
                "apiVersion: aof.sh/v1",
                "kind: Trigger",
                "metadata:",
                "  name: t-" + agent,
                "spec:",
                "  platform:",
                "    type: pagerduty",
                "    config:",
                "      webhook_secret: ${AC_SECRET}",
                "      event_types: [incident.triggered]",
                "  agent: " + agent,
                "");
    }

    private static SampleEvents.Spec triggered(String eventId, String incident) {
        SampleEvents.Spec d = SampleEvents.Spec.defaults();
        return new SampleEvents.Spec("incident.triggered", eventId, incident, d.incidentNumber(), d.title(), "P1",
                d.urgency(), d.serviceId(), d.serviceName(), d.teamId(), d.teamName(), d.occurredAt());
    }

    private HttpResponse<String> post(byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + ingress.port()
                        + "/webhooks/pagerduty"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Webhook-Id", UUID.randomUUID().toString())
                .header("X-PagerDuty-Signature", WebhookSignature.header(SECRET, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
