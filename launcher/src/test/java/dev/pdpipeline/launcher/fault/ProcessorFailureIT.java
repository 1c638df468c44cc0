package dev.pdpipeline.launcher.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.common.trigger.SecretFingerprint;
import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.sample.SampleEvents;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/pipeline processor} in a JVM of its own, as a user runs it, broken from outside: its
 * raw source topic deleted, or a record its stream thread cannot write (the agent topic's
 * {@code max.message.bytes} lowered under it). Either way Kafka Streams cannot go on, so the
 * process must answer 503 on {@code /health/live} naming {@code kafka-streams}, and exit with
 * status 1 within 30 s.
 */
class ProcessorFailureIT {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorFailureIT.class);
    private static final String SECRET = "processor-failure-secret-0123456789";
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final TestKafka kafka = TestKafka.shared();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, String> env = new HashMap<>();
    private Process child;
    private int management;
    private String raw;
    private String agentTopic;
    private Path log;

    @BeforeEach
    void configure() throws IOException {
        String id = UUID.randomUUID().toString().substring(0, 8);
        raw = "it-fail-" + id + ".raw";
        agentTopic = "it-fail-" + id + ".failure-agent.requests";
        Path triggers = Files.createDirectories(dir.resolve("triggers"));
        Files.writeString(triggers.resolve("failure.yaml"), String.join("\n",
                "apiVersion: aof.sh/v1",
                "kind: Trigger",
                "metadata:",
                "  name: processor-failure",
                "spec:",
                "  platform:",
                "    type: pagerduty",
                "    config:",
                "      webhook_secret: ${FAILURE_SECRET}",
                "      event_types: [incident.triggered]",
                "  agent: failure-agent",
                ""));
        management = freePort();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("FAILURE_SECRET", SECRET);
        env.put("MANAGEMENT_HOST", "127.0.0.1");
        env.put("MANAGEMENT_PORT", Integer.toString(management));
        env.put("APPLICATION_ID", "it-fail-" + id);
        env.put("STATE_DIR", dir.resolve("state").toString());
        env.put("RAW_TOPIC", raw);
        env.put("DLQ_TOPIC", "it-fail-" + id + ".dlq");
        env.put("AGENT_TOPIC_TEMPLATE", "it-fail-" + id + ".{agent}.requests");
        env.put("RESULTS_TOPIC", "it-fail-" + id + ".results");
        env.put("RESULTS_DLQ_TOPIC", "it-fail-" + id + ".results.dlq");
        env.put("REQUEST_LOG_TOPIC", "it-fail-" + id + ".requests");
        env.put("RESULTS_LEDGER_TOPIC", "it-fail-" + id + ".ledger");
        env.put("DECISIONS_TOPIC", "it-fail-" + id + ".decisions");
        env.put("REDRIVES_TOPIC", "it-fail-" + id + ".redrives");
        env.put("NOTES_ENABLED", "false");
        log = Path.of("target", "it-logs", "processor-failure-" + id + ".log");
    }

    @AfterEach
    void stopChild() {
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
        }
    }

    @Test
    void exitsWithStatusOneWhenItsSourceTopicIsDeleted() throws Exception {
        startAndAwaitReady();

        kafka.admin().deleteTopics(List.of(raw)).all().get(30, TimeUnit.SECONDS);
        Instant deleted = Instant.now();
        LOG.info("Deleted the raw topic {}", raw);

        assertFailsAndExits(deleted);
    }

    @Test
    void exitsWithStatusOneWhenItsStreamThreadHitsAFatalError() throws Exception {
        startAndAwaitReady();
        // from outside: the agent topic no longer takes a request of this size; the production
        // exception handler fails, the stream thread dies, the client shuts down
        kafka.admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, agentTopic),
                (Collection<AlterConfigOp>) List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "64"),
                        AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
        publishTriggeredEvent();
        Instant injected = Instant.now();

        assertFailsAndExits(injected);
    }

    private void assertFailsAndExits(Instant from) throws Exception {
        AtomicReference<String> down = new AtomicReference<>();
        await().atMost(EXIT_WITHIN).pollInterval(Duration.ofMillis(50)).until(() -> {
            HttpResponse<String> live = get("/health/live");
            if (live != null && live.statusCode() == 503) {
                down.compareAndSet(null, live.body());
            }
            return down.get() != null || !child.isAlive();
        });
        assertThat(down.get()).as("/health/live answered 503 before the exit").isNotNull()
                .contains("\"status\":\"DOWN\"").contains("\"part\":\"kafka-streams\"");
        long leftMs = Math.max(1, EXIT_WITHIN.toMillis() - Duration.between(from, Instant.now()).toMillis());
        assertThat(child.waitFor(leftMs, TimeUnit.MILLISECONDS)).as("exited within 30 s of the fault").isTrue();
        LOG.info("Processor exited {} ms after the fault with status {}; /health/live said {}",
                Duration.between(from, Instant.now()).toMillis(), child.exitValue(), down.get());
        assertThat(child.exitValue()).isEqualTo(1);
        assertThat(Files.readString(log)).contains("Part kafka-streams failed for good");
    }

    private void startAndAwaitReady() throws IOException {
        child = startJvm(env, log);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertThat(child.isAlive()).as("processor running (see " + log + ")").isTrue();
            HttpResponse<String> ready = get("/health/ready");
            return ready != null && ready.statusCode() == 200;
        });
        HttpResponse<String> live = get("/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).contains("\"kafka-streams\"");
    }

    private void publishTriggeredEvent() throws Exception {
        SampleEvents.Spec spec = SampleEvents.Spec.defaults();
        RecordHeaders headers = new RecordHeaders();
        headers.add(PipelineHeaders.WEBHOOK_ID, utf8("WH-" + UUID.randomUUID()));
        headers.add(PipelineHeaders.RECEIVED_AT, utf8(Instant.now().toString()));
        headers.add(PipelineHeaders.SECRET_FINGERPRINTS, utf8(SecretFingerprint.of(SECRET)));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProps())) {
            producer.send(new ProducerRecord<>(raw, null, utf8(spec.incidentId()), SampleEvents.delivery(spec),
                    headers)).get(30, TimeUnit.SECONDS);
        }
    }

    private HttpResponse<String> get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + path))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /** {@code bin/pipeline processor}: the launcher's main in a JVM of its own. */
    static Process startJvm(Map<String, String> env, Path log, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx384m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Pipeline.class.getName()));
        command.addAll(args.length == 0 ? List.of("processor") : List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("KAFKA_") || k.startsWith("INGRESS_")
                || k.endsWith("_TOPIC") || k.startsWith("TOPIC_"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Files.createDirectories(log.getParent());
        pb.redirectOutput(log.toFile());
        LOG.info("Starting bin/pipeline {} in a JVM of its own, log in {}", command.get(command.size() - 1), log);
        return pb.start();
    }
}
