package dev.pdpipeline.ingress;

import static dev.pdpipeline.ingress.testing.Webhooks.fixture;
import static dev.pdpipeline.ingress.testing.Webhooks.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.common.trigger.SecretFingerprint;
import dev.pdpipeline.ingress.http.WebhookEndpoint;
import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.testing.RawTopic;
import dev.pdpipeline.ingress.testing.Webhooks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** HTTP → real broker: what lands on the raw topic, and what does not. */
class IngressServiceIT {

    private static final String SECRET_A = "it-secret-a-" + UUID.randomUUID();
    private static final String SECRET_B = "it-secret-b-" + UUID.randomUUID();
    private static final String SECRET_LATE = "it-secret-late-" + UUID.randomUUID();

    @TempDir
    static Path triggers;

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();
    private static TestKafka kafka;
    private static String topic;
    private static IngressService service;

    @BeforeAll
    static void start() {
        kafka = TestKafka.shared();
        topic = kafka.uniqueTopic("ingress-raw");
        Webhooks.writeTrigger(triggers, "first", "SECRET_A");
        Webhooks.writeTrigger(triggers, "second", "SECRET_B");
        IngressConfig config = IngressConfig.fromEnv(Map.of(
                "TRIGGERS_PATH", triggers.toString(),
                "TRIGGERS_RELOAD_INTERVAL_MS", "200",
                "READINESS_CHECK_INTERVAL_MS", "500",
                "INGRESS_HOST", "127.0.0.1",
                "INGRESS_PORT", "0",
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "RAW_TOPIC", topic,
                "SECRET_A", SECRET_A,
                "SECRET_B", SECRET_B,
                "SECRET_LATE", SECRET_LATE));
        service = IngressService.start(config, REGISTRY);
        await().atMost(Duration.ofSeconds(60)).until(service::isReady);
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    @ParameterizedTest(name = "{0} is keyed by {1}")
    @CsvSource({
            "incident.triggered.json, PINC0001",
            "incident.annotated.json, PINC0002",
            "incident.role.assigned.json, PINC0003",
            "service.updated.json, PSVC002"})
    void publishesTheRawBytesKeyedByIncidentOrResource(String fixture, String expectedKey) throws Exception {
        byte[] body = fixture(fixture);
        String webhookId = "wh-" + UUID.randomUUID();
        Instant before = Instant.now();

        HttpResponse<String> response = post(body, sign(SECRET_A, body), webhookId);

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode answer = Json.mapper().readTree(response.body());
        ConsumerRecord<byte[], byte[]> record = RawTopic.readAt(kafka.bootstrapServers(), topic,
                answer.get("partition").asInt(), answer.get("offset").asLong());
        assertThat(record.value()).isEqualTo(body);
        assertThat(RawTopic.key(record)).isEqualTo(expectedKey);
        assertThat(RawTopic.header(record, PipelineHeaders.WEBHOOK_ID)).isEqualTo(webhookId);
        assertThat(RawTopic.header(record, PipelineHeaders.WEBHOOK_SUBSCRIPTION)).isEqualTo("PSUB-IT");
        assertThat(RawTopic.header(record, PipelineHeaders.SECRET_FINGERPRINTS))
                .isEqualTo(SecretFingerprint.of(SECRET_A));
        assertThat(Instant.parse(RawTopic.header(record, PipelineHeaders.RECEIVED_AT)))
                .isBetween(before.minusSeconds(1), Instant.now());
    }

    @Test
    void recordsEveryFingerprintThatVerifiedARotationHeader() throws Exception {
        byte[] body = fixture("incident.triggered.json");

        HttpResponse<String> response = post(body, sign(SECRET_A, body) + "," + sign(SECRET_B, body), "wh-rotation");

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode answer = Json.mapper().readTree(response.body());
        ConsumerRecord<byte[], byte[]> record = RawTopic.readAt(kafka.bootstrapServers(), topic,
                answer.get("partition").asInt(), answer.get("offset").asLong());
        assertThat(RawTopic.header(record, PipelineHeaders.SECRET_FINGERPRINTS))
                .isEqualTo(SecretFingerprint.of(SECRET_A) + "," + SecretFingerprint.of(SECRET_B));
    }

    @Test
    void acceptsPingAndPublishesIt() throws Exception {
        byte[] body = fixture("pagey.ping.json");

        HttpResponse<String> response = post(body, sign(SECRET_B, body), "wh-ping");

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode answer = Json.mapper().readTree(response.body());
        ConsumerRecord<byte[], byte[]> record = RawTopic.readAt(kafka.bootstrapServers(), topic,
                answer.get("partition").asInt(), answer.get("offset").asLong());
        assertThat(record.key()).isNull();
        assertThat(record.value()).isEqualTo(body);
    }

    @Test
    void publishesNothingForUnauthenticatedDeliveries() throws Exception {
        byte[] body = fixture("incident.triggered.json");
        long before = RawTopic.count(kafka.bootstrapServers(), topic);

        HttpResponse<String> missing = post(body, null, "wh-unsigned");
        HttpResponse<String> forged = post(body, sign("guessed", body), "wh-forged");
        // a signed delivery afterwards proves the topic is writable and orders after the rejected ones
        HttpResponse<String> genuine = post(body, sign(SECRET_A, body), "wh-genuine");

        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(genuine.statusCode()).isEqualTo(202);
        assertThat(RawTopic.count(kafka.bootstrapServers(), topic)).isEqualTo(before + 1);
    }

    @Test
    void acceptsTheSecretOfATriggerAddedWhileRunning() throws Exception {
        byte[] body = fixture("incident.annotated.json");
        assertThat(post(body, sign(SECRET_LATE, body), "wh-late-1").statusCode()).isEqualTo(401);

        Webhooks.writeTrigger(triggers, "late", "SECRET_LATE");

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> post(body, sign(SECRET_LATE, body), "wh-late-2").statusCode() == 202);
        Files.delete(triggers.resolve("late.yaml"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> post(body, sign(SECRET_LATE, body), "wh-late-3").statusCode() == 401);
    }

    @Test
    void keepsTheLastGoodSecretsWhenATriggerFileBreaks() throws Exception {
        byte[] body = fixture("incident.triggered.json");
        double failuresBefore = REGISTRY.counter(IngressMetrics.TRIGGER_RELOAD_FAILURES).count();
        Path broken = Files.writeString(triggers.resolve("zz-broken.yaml"), "apiVersion: aof.sh/v1\nkind: Trigger\n"
                + "metadata: {name: broken}\nspec: {platform: {type: pagerduty, config: {}}, agent: x}\n");
        try {
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> REGISTRY.counter(IngressMetrics.TRIGGER_RELOAD_FAILURES).count() > failuresBefore);

            assertThat(post(body, sign(SECRET_A, body), "wh-after-broken").statusCode()).isEqualTo(202);
            assertThat(post(body, sign(SECRET_B, body), "wh-after-broken-b").statusCode()).isEqualTo(202);
        } finally {
            Files.delete(broken);
        }
    }

    @Test
    void createsTheRawTopicWithConfiguredPartitionsAndRetention() throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = kafka.admin().describeConfigs(java.util.List.of(resource)).all()
                .get(30, TimeUnit.SECONDS).get(resource);
        int partitions = kafka.admin().describeTopics(java.util.List.of(topic)).allTopicNames()
                .get(30, TimeUnit.SECONDS).get(topic).partitions().size();

        assertThat(partitions).isEqualTo(IngressConfig.DEFAULT_RAW_TOPIC_PARTITIONS);
        assertThat(config.get("retention.ms").value()).isEqualTo(Long.toString(IngressConfig.DEFAULT_RAW_TOPIC_RETENTION_MS));
    }

    @Test
    void answersOnlyOnTheWebhookPath() throws Exception {
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + service.port() + "/health/ready")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(health.statusCode()).isEqualTo(404);
    }

    private static HttpResponse<String> post(byte[] body, String signature, String webhookId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + service.port() + WebhookEndpoint.PATH))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("User-Agent", "PagerDuty-Webhook/V3.0")
                .header("X-Webhook-Id", webhookId)
                .header("X-Webhook-Subscription", "PSUB-IT")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (signature != null) {
            request.header("X-PagerDuty-Signature", signature);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
