package dev.pdpipeline.launcher.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.common.signature.WebhookSignature;
import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
import dev.pdpipeline.launcher.sample.SampleEvents;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
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
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python example agent ({@code examples/agent-python/agent.py}) as users run it, a child
 * process of {@code python3}, against a real broker and the whole pipeline: signed webhooks in,
 * its notes out on the (fake) PagerDuty. The interpreter is {@code /usr/bin/python3} unless the
 * system property {@code pdpipeline.python} names another; without it or without the
 * {@code confluent_kafka} and {@code jsonschema} modules the test fails (CI installs them).
 */
class PythonAgentIT {

    static final String PYTHON = System.getProperty("pdpipeline.python", "/usr/bin/python3");
    static final Path AGENT = Path.of("..", "examples", "agent-python", "agent.py").toAbsolutePath().normalize();
    private static final TestKafka KAFKA = TestKafka.shared();
    private static final String SECRET = "python-agent-it-secret-0123";
    private static final String TOKEN = "python-agent-it-token";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private final String agent = "py-agent-" + UUID.randomUUID().toString().substring(0, 8);
    private final String requestTopic = "agent." + agent + ".requests";
    private final String resultsTopic = KAFKA.uniqueTopic("results");
    private FakePagerDuty fake;
    private IngressService ingress;
    private ProcessorService processor;
    private Process python;

    @BeforeEach
    void startPipeline() throws Exception {
        requirePythonWithModules();
        fake = FakePagerDuty.start(TOKEN).incidents("QPY1", "QPY2");
        Path triggers = dir.resolve("triggers.yaml");
        Files.writeString(triggers, String.join("\n",
                "apiVersion: aof.sh/v1",
                "kind: Trigger",
                "metadata:",
                "  name: python-" + agent,
                "spec:",
                "  platform:",
                "    type: pagerduty",
                "    config:",
                "      webhook_secret: ${PY_SECRET}",
                "      event_types: [incident.triggered]",
                "  agent: " + agent,
                ""));
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("PY_SECRET", SECRET);
        env.put("RAW_TOPIC", KAFKA.uniqueTopic("raw"));
        env.put("DLQ_TOPIC", KAFKA.uniqueTopic("dlq"));
        env.put("RESULTS_TOPIC", resultsTopic);
        env.put("RESULTS_DLQ_TOPIC", KAFKA.uniqueTopic("results-dlq"));
        env.put("REQUEST_LOG_TOPIC", KAFKA.uniqueTopic("requests"));
        env.put("RESULTS_LEDGER_TOPIC", KAFKA.uniqueTopic("ledger"));
        env.put("DECISIONS_TOPIC", KAFKA.uniqueTopic("decisions"));
        env.put("INGRESS_PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("APPLICATION_ID", "python-it-" + UUID.randomUUID());
        env.put("STATE_DIR", dir.resolve("state").toString());
        env.put("PAGERDUTY_API_URL", fake.url().toString());
        env.put("PAGERDUTY_API_TOKEN", TOKEN);
        env.put("PAGERDUTY_FROM_EMAIL", "oncall-bot@example.com");
        PrometheusMeterRegistry registry = MeterRegistries.prometheus();
        processor = ProcessorService.start(ProcessorConfig.fromEnv(env), registry);
        ingress = IngressService.start(IngressConfig.fromEnv(env), registry);
        await().atMost(Duration.ofSeconds(90)).until(() -> ingress.isReady() && processor.isReady());
    }

    @AfterEach
    void stopPipeline() throws InterruptedException {
        if (python != null && python.isAlive()) {
            python.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
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
    void answersEachRequestOnceWithANoteThatReachesPagerDutyAndStopsCleanlyOnSigterm() throws Exception {
        Path log = dir.resolve("agent.log");
        python = startAgent(log);

        for (String incident : List.of("QPY1", "QPY2")) {
            byte[] body = SampleEvents.delivery(triggered(UUID.randomUUID().toString(), incident));
            assertThat(post(body).statusCode()).isEqualTo(202);
        }

        // the agent's notes reach PagerDuty, each once, signed with the pipeline's marker
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
            assertThat(python.isAlive()).as("agent still running; its log:%n%s", read(log)).isTrue();
            assertThat(fake.notes("QPY1")).hasSize(1);
            assertThat(fake.notes("QPY2")).hasSize(1);
        });
        FakePagerDuty.Note note = fake.notes("QPY1").get(0);
        assertThat(note.content()).contains("Example diagnosis (Python agent)", "P1", "Checklist")
                .contains("agent " + agent).containsPattern("\\[pdpipeline:[0-9a-f]{16}]");
        assertThat(note.from()).isEqualTo("oncall-bot@example.com");

        // its results are keyed by incident and hold to the schema
        List<ConsumerRecord<byte[], byte[]>> results = KAFKA.readAll(resultsTopic, 2, Duration.ofSeconds(30));
        assertThat(results).extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder("QPY1", "QPY2");
        for (ConsumerRecord<byte[], byte[]> r : results) {
            assertThat(ResultSchema.load().errors(r.value())).isEmpty();
        }

        // a request it already answered (same request_id, e.g. a late copy after the dedup window) is skipped
        List<ConsumerRecord<byte[], byte[]>> routed = KAFKA.readAll(requestTopic, 2, Duration.ofSeconds(30));
        Map<TopicPartition, Long> lastRequest = new HashMap<>();
        routed.forEach(r -> lastRequest.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::max));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KAFKA.producerProps())) {
            RecordMetadata copy = producer.send(new ProducerRecord<>(requestTopic, routed.get(0).key(),
                    routed.get(0).value())).get();
            lastRequest.merge(new TopicPartition(copy.topic(), copy.partition()), copy.offset(), Math::max);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> read(log).contains("was already answered"));
        assertThat(endOffsets(resultsTopic)).as("no third result").isEqualTo(2);

        // offsets are committed after the results: the group is past all three requests
        try (KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(KAFKA.consumerProps("example-python-" + agent))) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = probe.committed(lastRequest.keySet());
                lastRequest.forEach((tp, offset) -> {
                    assertThat(committed.get(tp)).as("committed offset of %s", tp).isNotNull();
                    assertThat(committed.get(tp).offset()).as("committed offset of %s", tp).isGreaterThan(offset);
                });
            });
        }

        // SIGTERM: a clean stop, exit 0
        python.destroy();
        assertThat(python.waitFor(30, TimeUnit.SECONDS)).as("agent stopped within 30 s").isTrue();
        assertThat(python.exitValue()).as("exit code; log:%n%s", read(log)).isZero();
        assertThat(read(log)).contains("stopped: 2 answered, 1 skipped");
    }

    private Process startAgent(Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-u", "-B", AGENT.toString());
        pb.environment().put("KAFKA_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        pb.environment().put("AGENT_NAME", agent);
        pb.environment().put("RESULTS_TOPIC", resultsTopic);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    /** Fails (never skips) when the interpreter or its modules are missing. */
    static void requirePythonWithModules() throws InterruptedException {
        assertThat(AGENT).exists();
        Process check;
        try {
            check = new ProcessBuilder(PYTHON, "-c", "import confluent_kafka, jsonschema; print(confluent_kafka.version()[0])")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            fail("cannot run " + PYTHON + " (set -Dpdpipeline.python=PATH): " + e.getMessage());
            return;
        }
        String out;
        try {
            out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            out = e.toString();
        }
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (check.exitValue() != 0) {
            fail(PYTHON + " lacks the agent's modules (apt-get install python3-confluent-kafka python3-jsonschema,"
                    + " or pip install -r examples/agent-python/requirements.txt): " + out);
        }
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

    private static long endOffsets(String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(KAFKA.consumerProps("end-" + UUID.randomUUID()))) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            return c.endOffsets(tps).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
