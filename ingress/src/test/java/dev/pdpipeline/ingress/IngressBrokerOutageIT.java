package dev.pdpipeline.ingress;

import static dev.pdpipeline.ingress.testing.Webhooks.fixture;
import static dev.pdpipeline.ingress.testing.Webhooks.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.kafka.EmbeddedKafka;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.ingress.http.WebhookEndpoint;
import dev.pdpipeline.ingress.testing.RawTopic;
import dev.pdpipeline.ingress.testing.Webhooks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker goes away and comes back: bounded 503s meanwhile, nothing stored for them, then 202s again. */
class IngressBrokerOutageIT {

    private static final String SECRET = "outage-secret";
    private static final Duration PUBLISH_TIMEOUT = Duration.ofMillis(1500);
    /** Time for HTTP, scheduling and a loaded 2-core CI machine on top of the publish bound. */
    private static final Duration MARGIN = Duration.ofMillis(1500);

    @TempDir
    Path triggers;
    @TempDir
    Path kafkaData;

    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicInteger ids = new AtomicInteger();
    private EmbeddedKafka broker;
    private IngressService service;

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void answers503WithinTheBoundWhileKafkaIsDownAndRecoversWhenItReturns() throws Exception {
        broker = EmbeddedKafka.builder().port(0).dataDir(kafkaData).start();
        int port = broker.port();
        Webhooks.writeTrigger(triggers, "outage", "OUTAGE_SECRET");
        String topic = "outage-raw";
        service = IngressService.start(IngressConfig.fromEnv(Map.of(
                "TRIGGERS_PATH", triggers.toString(),
                "INGRESS_HOST", "127.0.0.1",
                "INGRESS_PORT", "0",
                "PUBLISH_TIMEOUT_MS", Long.toString(PUBLISH_TIMEOUT.toMillis()),
                "READINESS_CHECK_INTERVAL_MS", "300",
                "RAW_TOPIC", topic,
                "RAW_TOPIC_PARTITIONS", "1",
                "KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "KAFKA_RECONNECT_BACKOFF_MAX_MS", "500",
                "OUTAGE_SECRET", SECRET)), new SimpleMeterRegistry());
        await().atMost(Duration.ofSeconds(60)).until(service::isReady);

        List<String> accepted = new ArrayList<>();
        Delivery first = post();
        assertThat(first.status).isEqualTo(202);
        accepted.add(first.webhookId);

        broker.close();
        broker = null;

        List<String> refused = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Delivery during = post();
            assertThat(during.status).as("delivery %s while Kafka is down", during.webhookId).isEqualTo(503);
            assertThat(during.elapsed).as("time to answer %s", during.webhookId)
                    .isLessThan(PUBLISH_TIMEOUT.plus(MARGIN));
            refused.add(during.webhookId);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> !service.isReady());

        broker = EmbeddedKafka.builder().port(port).dataDir(kafkaData).start();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            Delivery retry = post();
            if (retry.status == 202) {
                accepted.add(retry.webhookId);
                return true;
            }
            assertThat(retry.status).isEqualTo(503);
            assertThat(retry.elapsed).isLessThan(PUBLISH_TIMEOUT.plus(MARGIN));
            refused.add(retry.webhookId);
            return false;
        });
        assertThat(service.isReady()).isTrue();

        List<ConsumerRecord<byte[], byte[]>> stored = readAll(topic, accepted.size());
        Set<String> storedIds = new HashSet<>();
        stored.forEach(r -> storedIds.add(RawTopic.header(r, PipelineHeaders.WEBHOOK_ID)));
        assertThat(storedIds).containsExactlyInAnyOrderElementsOf(accepted).doesNotContainAnyElementsOf(refused);
        assertThat(RawTopic.count(broker.bootstrapServers(), topic)).isEqualTo(accepted.size());
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        long count;
        try {
            count = RawTopic.count(broker.bootstrapServers(), topic);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        for (long offset = 0; offset < count; offset++) {
            records.add(RawTopic.readAt(broker.bootstrapServers(), topic, 0, offset));
        }
        assertThat(records).hasSizeGreaterThanOrEqualTo(expected);
        return records;
    }

    private Delivery post() throws Exception {
        byte[] body = fixture("incident.triggered.json");
        String webhookId = "outage-" + ids.incrementAndGet();
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + service.port() + WebhookEndpoint.PATH))
                .timeout(Duration.ofSeconds(15))
                .header("X-Webhook-Id", webhookId)
                .header("X-PagerDuty-Signature", sign(SECRET, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        long start = System.nanoTime();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        return new Delivery(webhookId, response.statusCode(), Duration.ofNanos(System.nanoTime() - start));
    }

    private record Delivery(String webhookId, int status, Duration elapsed) {
    }
}
