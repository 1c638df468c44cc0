package dev.pdpipeline.ingress.http;

import static dev.pdpipeline.ingress.testing.Webhooks.fixture;
import static dev.pdpipeline.ingress.testing.Webhooks.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.logging.LogContext;
import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.publish.PublishReceipt;
import dev.pdpipeline.ingress.signature.WebhookSecret;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The 202 path: one INFO line per accepted webhook with the event id, incident, topic, partition
 * and offset (in the message and in the log context), written by a server thread rather than by
 * the thread that completed the publish (the Kafka producer's own network thread in production).
 */
class AcceptedAnswerTest {

    private static final String SECRET = "accepted-answer-secret";
    private static final String PRODUCER_THREAD = "kafka-producer-network-thread | fake";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final WebhookServerTest.FakePublisher publisher = new WebhookServerTest.FakePublisher();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger endpointLog = (Logger) LoggerFactory.getLogger(WebhookEndpoint.class);
    private WebhookServer server;

    @BeforeEach
    void start() {
        lines.start();
        endpointLog.addAppender(lines);
        IngressMetrics metrics = new IngressMetrics(new SimpleMeterRegistry());
        WebhookEndpoint endpoint = new WebhookEndpoint(() -> List.of(new WebhookSecret(SECRET, "fp-accepted")),
                publisher, () -> true, metrics, 65536, Duration.ofSeconds(5), Clock.systemUTC());
        server = WebhookServer.start("127.0.0.1", 0, endpoint, metrics, 65536, Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        server.close();
        endpointLog.detachAppender(lines);
    }

    @Test
    void logsOneLineWithEventIncidentAndRecordPositionFromAServerThread() throws Exception {
        CompletableFuture<PublishReceipt> ack = new CompletableFuture<>();
        publisher.answer = d -> ack;
        byte[] body = fixture("incident.triggered.json");
        String eventId = Json.mapper().readTree(body).path("event").path("id").asText();

        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + WebhookEndpoint.PATH))
                .header("X-PagerDuty-Signature", sign(SECRET, body)).header("X-Webhook-Id", "wh-accepted")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.received.size() == 1);
        // completed the way the Kafka producer completes it: from its own network thread
        Thread producerThread = new Thread(() -> ack.complete(new PublishReceipt("pagerduty.webhooks.raw", 2, 41)),
                PRODUCER_THREAD);
        producerThread.start();
        HttpResponse<String> response = pending.get();

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode json = Json.mapper().readTree(response.body());
        assertThat(json.get("status").asText()).isEqualTo("accepted");
        assertThat(json.get("partition").asInt()).isEqualTo(2);
        assertThat(json.get("offset").asLong()).isEqualTo(41);
        List<ILoggingEvent> accepted = lines.list.stream()
                .filter(e -> e.getFormattedMessage().startsWith("Accepted webhook")).toList();
        assertThat(accepted).hasSize(1);
        ILoggingEvent line = accepted.get(0);
        assertThat(line.getLevel().toString()).isEqualTo("INFO");
        assertThat(line.getFormattedMessage()).isEqualTo("Accepted webhook wh-accepted (key PINC0001, " + body.length
                + " bytes) at pagerduty.webhooks.raw-2@41, event " + eventId);
        assertThat(line.getMDCPropertyMap()).containsAllEntriesOf(Map.of(
                LogContext.EVENT_ID, eventId, LogContext.INCIDENT, "PINC0001",
                LogContext.TOPIC, "pagerduty.webhooks.raw", LogContext.PARTITION, "2", LogContext.OFFSET, "41"));
        assertThat(line.getThreadName()).isNotEqualTo(PRODUCER_THREAD).startsWith("JettyServerThreadPool");
    }

    @Test
    void theAcceptedBodyIsTheJsonObjectOfStatusPartitionAndOffset() throws Exception {
        JsonNode json = Json.mapper().readTree(WebhookEndpoint.acceptedBody(11, 9_000_000_000L));

        assertThat(json.size()).isEqualTo(3);
        assertThat(json.get("status").asText()).isEqualTo("accepted");
        assertThat(json.get("partition").isInt()).isTrue();
        assertThat(json.get("partition").asInt()).isEqualTo(11);
        assertThat(json.get("offset").asLong()).isEqualTo(9_000_000_000L);
    }
}
