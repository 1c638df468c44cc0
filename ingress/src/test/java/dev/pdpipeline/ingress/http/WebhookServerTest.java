package dev.pdpipeline.ingress.http;

import static dev.pdpipeline.ingress.testing.Webhooks.fixture;
import static dev.pdpipeline.ingress.testing.Webhooks.sign;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.publish.PublishReceipt;
import dev.pdpipeline.ingress.publish.PublishRejectedException;
import dev.pdpipeline.ingress.publish.RawDelivery;
import dev.pdpipeline.ingress.publish.WebhookPublisher;
import dev.pdpipeline.ingress.signature.WebhookSecret;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookServerTest {

    private static final String SECRET = "unit-test-secret";
    private static final long LIMIT = 4096;
    private static final Duration PUBLISH_TIMEOUT = Duration.ofMillis(400);
    private static final Instant NOW = Instant.parse("2025-03-04T10:15:31Z");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final FakePublisher publisher = new FakePublisher();
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private WebhookServer server;

    @BeforeEach
    void start() {
        IngressMetrics metrics = new IngressMetrics(registry);
        WebhookEndpoint endpoint = new WebhookEndpoint(() -> List.of(new WebhookSecret(SECRET, "fp-unit")),
                publisher, ready::get, metrics, LIMIT, PUBLISH_TIMEOUT, Clock.fixed(NOW, ZoneOffset.UTC));
        server = WebhookServer.start("127.0.0.1", 0, endpoint, metrics, LIMIT, Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void answers202OnlyAfterThePublisherAcknowledges() throws Exception {
        CompletableFuture<PublishReceipt> ack = new CompletableFuture<>();
        publisher.answer = d -> ack;
        byte[] body = fixture("incident.triggered.json");

        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(
                signed(body).header("X-Webhook-Id", "wh-1").header("X-Webhook-Subscription", "sub-1").build(),
                HttpResponse.BodyHandlers.ofString());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> publisher.received.size() == 1);
        assertThat(pending).isNotDone();
        ack.complete(new PublishReceipt("raw", 2, 41));
        HttpResponse<String> response = pending.get();

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode json = Json.mapper().readTree(response.body());
        assertThat(json.get("status").asText()).isEqualTo("accepted");
        assertThat(json.get("partition").asInt()).isEqualTo(2);
        assertThat(json.get("offset").asLong()).isEqualTo(41);
        RawDelivery delivery = publisher.received.get(0);
        assertThat(delivery.body()).isEqualTo(body);
        assertThat(delivery.key()).isEqualTo("PINC0001");
        assertThat(delivery.webhookId()).isEqualTo("wh-1");
        assertThat(delivery.subscription()).isEqualTo("sub-1");
        assertThat(delivery.receivedAt()).isEqualTo(NOW);
        assertThat(delivery.secretFingerprints()).containsExactly("fp-unit");
        assertThat(registry.counter(IngressMetrics.PUBLISHED).count()).isEqualTo(1.0);
        assertThat(registry.get(IngressMetrics.REQUESTS).tag("status", "202").tag("route", "webhook").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void answers401WhenSignatureIsMissing() throws Exception {
        byte[] body = fixture("incident.triggered.json");

        HttpResponse<String> response = send(request().POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(error(response)).contains("missing");
        assertThat(publisher.received).isEmpty();
        assertThat(signatureFailures("missing")).isEqualTo(1.0);
    }

    @Test
    void answers401WhenSignatureDoesNotMatch() throws Exception {
        byte[] body = fixture("incident.triggered.json");
        String forged = sign("not-the-secret", body);

        HttpResponse<String> response = send(request().header("X-PagerDuty-Signature", forged)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(error(response)).doesNotContain(forged.substring(3));
        assertThat(publisher.received).isEmpty();
        assertThat(signatureFailures("mismatch")).isEqualTo(1.0);
    }

    @Test
    void answers401WhenSignatureIsMalformed() throws Exception {
        HttpResponse<String> response = send(request().header("X-PagerDuty-Signature", "v1=nothex")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(signatureFailures("malformed")).isEqualTo(1.0);
    }

    @Test
    void answers413WhenContentLengthExceedsTheLimit() throws Exception {
        byte[] body = new byte[(int) LIMIT + 1];
        Arrays.fill(body, (byte) 'a');

        HttpResponse<String> response = send(signed(body).build());

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(error(response)).contains(Long.toString(LIMIT));
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void answers413WhenChunkedBodyExceedsTheLimit() throws Exception {
        byte[] body = new byte[(int) LIMIT * 4];
        Arrays.fill(body, (byte) 'a');

        HttpResponse<String> response = send(request()
                .header("X-PagerDuty-Signature", sign(SECRET, body))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build());

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void acceptsChunkedBodyWithinTheLimit() throws Exception {
        byte[] body = fixture("incident.annotated.json");

        HttpResponse<String> response = send(request()
                .header("X-PagerDuty-Signature", sign(SECRET, body))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build());

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(publisher.received.get(0).body()).isEqualTo(body);
        assertThat(publisher.received.get(0).key()).isEqualTo("PINC0002");
    }

    @Test
    void answers405WithAllowPostForOtherMethods() throws Exception {
        for (String method : List.of("GET", "PUT", "DELETE", "PATCH")) {
            HttpResponse<String> response = send(request()
                    .method(method, HttpRequest.BodyPublishers.noBody()).build());

            assertThat(response.statusCode()).as(method).isEqualTo(405);
            assertThat(response.headers().firstValue("Allow")).as(method).hasValue("POST");
            assertThat(error(response)).isEqualTo("method not allowed");
        }
    }

    @Test
    void answers404JsonForOtherPaths() throws Exception {
        for (String path : List.of("/", "/webhooks", "/health/ready", "/metrics", "/webhooks/pagerduty/extra")) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(uri(path)).GET().build());

            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(error(response)).as(path).isEqualTo("not found");
        }
    }

    @Test
    void answers503WithinTheBoundWhenThePublisherNeverAcknowledges() throws Exception {
        publisher.answer = d -> new CompletableFuture<>();
        byte[] body = fixture("incident.triggered.json");

        long start = System.nanoTime();
        HttpResponse<String> response = send(signed(body).build());
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertThat(error(response)).contains("did not acknowledge");
        assertThat(elapsed).isGreaterThanOrEqualTo(PUBLISH_TIMEOUT).isLessThan(PUBLISH_TIMEOUT.plusSeconds(2));
        assertThat(registry.get(IngressMetrics.PUBLISH_LATENCY).tag("outcome", "timeout").timer().count())
                .isEqualTo(1);
    }

    @Test
    void answers503WhenThePublisherFails() throws Exception {
        publisher.answer = d -> CompletableFuture.failedFuture(new IllegalStateException("broker gone"));

        HttpResponse<String> response = send(signed(fixture("incident.triggered.json")).build());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).doesNotContain("broker gone").doesNotContain("Exception");
    }

    @Test
    void answers503WhenThePublisherThrows() throws Exception {
        publisher.answer = d -> {
            throw new IllegalStateException("closed");
        };

        HttpResponse<String> response = send(signed(fixture("incident.triggered.json")).build());

        assertThat(response.statusCode()).isEqualTo(503);
    }

    @Test
    void answers503WithoutPublishingWhenNotReady() throws Exception {
        ready.set(false);

        HttpResponse<String> response = send(signed(fixture("incident.triggered.json")).build());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void answers413WhenKafkaRefusesTheRecordForGood() throws Exception {
        publisher.answer = d -> CompletableFuture.failedFuture(
                new PublishRejectedException("too large", new RecordTooLargeException("big")));

        HttpResponse<String> response = send(signed(fixture("incident.triggered.json")).build());

        assertThat(response.statusCode()).isEqualTo(413);
    }

    @Test
    void publishesAuthenticatedBodyThatIsNotJsonWithoutAKey() throws Exception {
        byte[] body = "not json at all \u00ff".getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = send(signed(body).build());

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(publisher.received.get(0).body()).isEqualTo(body);
        assertThat(publisher.received.get(0).key()).isNull();
    }

    @Test
    void acceptsPingAndPublishesItWithoutAKey() throws Exception {
        HttpResponse<String> response = send(signed(fixture("pagey.ping.json")).build());

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(publisher.received.get(0).key()).isNull();
    }

    @Test
    void keysServiceEventsByServiceId() throws Exception {
        HttpResponse<String> response = send(signed(fixture("service.updated.json")).build());

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(publisher.received.get(0).key()).isEqualTo("PSVC002");
    }

    @Test
    void answers500WithoutDetailsOnUnexpectedErrors() throws Exception {
        server.close();
        IngressMetrics metrics = new IngressMetrics(registry);
        WebhookEndpoint broken = new WebhookEndpoint(() -> {
            throw new IllegalStateException("secret store exploded: s3cr3t");
        }, publisher, ready::get, metrics, LIMIT, PUBLISH_TIMEOUT, Clock.systemUTC());
        server = WebhookServer.start("127.0.0.1", 0, broken, metrics, LIMIT, Duration.ofSeconds(2));

        HttpResponse<String> response = send(signed(fixture("incident.triggered.json")).build());

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(error(response)).isEqualTo("internal error");
        assertThat(response.body()).doesNotContain("s3cr3t").doesNotContain("at dev.");
    }

    private double signatureFailures(String reason) {
        return registry.get(IngressMetrics.SIGNATURE_FAILURES).tag("reason", reason).counter().count();
    }

    private HttpRequest.Builder request() {
        return HttpRequest.newBuilder(uri(WebhookEndpoint.PATH)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json");
    }

    private HttpRequest.Builder signed(byte[] body) {
        return request().header("X-PagerDuty-Signature", sign(SECRET, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String error(HttpResponse<String> response) throws IOException {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        return Json.mapper().readTree(response.body()).get("error").asText();
    }

    /** Records deliveries and answers as told (default: acknowledged at partition 0, offset 7). */
    static final class FakePublisher implements WebhookPublisher {
        final List<RawDelivery> received = new CopyOnWriteArrayList<>();
        volatile Function<RawDelivery, CompletableFuture<PublishReceipt>> answer =
                d -> CompletableFuture.completedFuture(new PublishReceipt("raw", 0, 7));

        @Override
        public CompletableFuture<PublishReceipt> publish(RawDelivery delivery) {
            received.add(delivery);
            return answer.apply(delivery);
        }
    }
}
