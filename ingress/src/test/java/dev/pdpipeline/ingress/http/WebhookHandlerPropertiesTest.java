package dev.pdpipeline.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.publish.RawDelivery;
import dev.pdpipeline.ingress.signature.WebhookSecret;
import dev.pdpipeline.ingress.testing.RawHttp;
import dev.pdpipeline.ingress.testing.Webhooks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Arbitrary requests against the real listener (with a fake publisher): no answer is ever a 5xx
 * while Kafka acknowledges, and nothing is published unless the body carried a genuine signature.
 */
class WebhookHandlerPropertiesTest {

    private static final String SECRET = "handler-props-secret";
    private static final long LIMIT = 4096;

    private static WebhookServerTest.FakePublisher publisher;
    private static WebhookServer server;

    @BeforeContainer
    static void start() {
        publisher = new WebhookServerTest.FakePublisher();
        IngressMetrics metrics = new IngressMetrics(new SimpleMeterRegistry());
        WebhookEndpoint endpoint = new WebhookEndpoint(() -> List.of(new WebhookSecret(SECRET, "fp")), publisher,
                () -> true, metrics, LIMIT, Duration.ofSeconds(2), Clock.systemUTC());
        server = WebhookServer.start("127.0.0.1", 0, endpoint, metrics, LIMIT, Duration.ofSeconds(1));
    }

    @AfterContainer
    static void stop() {
        server.close();
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.MIXIN)
    void noRequestGets5xxAndOnlyGenuineBodiesArePublished(@ForAll("requests") Request request) throws IOException {
        int before = publisher.received.size();

        RawHttp.Response response = RawHttp.exchange(server.port(), request.head(server.port()),
                request.encodedBody(), 10_000);

        assertThat(response.status()).as(response.raw()).isBetween(200, 499);
        assertThat(response.raw()).doesNotContain("at dev.", "at org.", "Exception", "Jetty(", SECRET);
        List<RawDelivery> published = new ArrayList<>(publisher.received.subList(before, publisher.received.size()));
        if (response.status() == 202) {
            assertThat(request.genuine()).as("202 only for a genuinely signed body").isTrue();
            assertThat(published).hasSize(1);
            assertThat(published.get(0).body()).isEqualTo(request.body());
        } else {
            assertThat(published).isEmpty();
        }
        if (request.genuine() && request.body().length <= LIMIT && request.path().equals(WebhookEndpoint.PATH)
                && request.cleanHeaders()) {
            assertThat(response.status()).as("a clean, genuinely signed delivery is accepted").isEqualTo(202);
        }
        Statistics.label("status").collect(response.status());
    }

    @Provide
    Arbitrary<Request> requests() {
        Arbitrary<byte[]> body = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(600),
                Arbitraries.strings().all().ofMaxLength(300).map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.integers().between((int) LIMIT - 2, (int) LIMIT * 3).map(n -> new byte[n]));
        Arbitrary<String> signatureMode = Arbitraries.of("genuine", "none", "junk", "wrong-secret", "other-body",
                "genuine-among-junk");
        Arbitrary<String> junk = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(200);
        Arbitrary<List<String>> extraHeaders = Combinators.combine(
                        Arbitraries.strings().withChars("abcXYZ-_0123456789!#$%&'*+.^`|~").ofMinLength(1).ofMaxLength(30),
                        Arbitraries.frequencyOf(
                                net.jqwik.api.Tuple.of(6, Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(100)),
                                net.jqwik.api.Tuple.of(2, Arbitraries.strings().withCharRange((char) 0xa0, (char) 0xff)
                                        .ofMaxLength(100)),
                                net.jqwik.api.Tuple.of(1, Arbitraries.strings().withCharRange((char) 0, (char) 0xff)
                                        .ofMaxLength(100))))
                .as((n, v) -> n + ": " + v.replace("\r", "").replace("\n", "")).list().ofMaxSize(5);
        Arbitrary<String> contentType = Arbitraries.of("application/json", "text/plain", "application/xml",
                "multipart/form-data; boundary=x", "", "application/json; charset=utf-16", "*/*");
        Arbitrary<String> path = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Arbitraries.just(WebhookEndpoint.PATH)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("/", "/webhooks/pagerduty/", "/WEBHOOKS/PAGERDUTY",
                        "/webhooks/pagerduty/../pagerduty", "/webhooks/%70agerduty", "/webhooks/pagerduty?x=1",
                        "/webhooks/pagerduty;x=1", "//webhooks/pagerduty", "/metrics", "/%00", "/webhooks/pagerduty%2F")));
        Arbitrary<Boolean> chunked = Arbitraries.of(true, false);
        return Combinators.combine(body, signatureMode, junk, extraHeaders, contentType, path, chunked)
                .as(Request::new);
    }

    /** One generated request; the signature header follows {@code mode}. */
    record Request(byte[] body, String mode, String junk, List<String> extraHeaders, String contentType, String path,
            boolean chunked) {

        boolean genuine() {
            return mode.equals("genuine") || mode.equals("genuine-among-junk");
        }

        /** Extra headers that Jetty accepts as they are (no control characters). */
        boolean cleanHeaders() {
            return extraHeaders.stream().allMatch(h -> h.chars().allMatch(c -> c >= 0x20 && c != 0x7f)
                    && !h.toLowerCase(java.util.Locale.ROOT).startsWith("content-")
                    && !h.toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding")
                    && !h.toLowerCase(java.util.Locale.ROOT).startsWith("expect")
                    && !h.toLowerCase(java.util.Locale.ROOT).startsWith("connection")
                    && !h.toLowerCase(java.util.Locale.ROOT).startsWith("host")
                    && !h.toLowerCase(java.util.Locale.ROOT).startsWith("x-pagerduty-signature"));
        }

        String signatureHeader() {
            String genuineSignature = Webhooks.sign(SECRET, body);
            return switch (mode) {
                case "genuine" -> genuineSignature;
                case "none" -> null;
                case "junk" -> junk;
                case "wrong-secret" -> Webhooks.sign(SECRET + "x", body);
                case "other-body" -> Webhooks.sign(SECRET, (new String(body, StandardCharsets.ISO_8859_1) + " ")
                        .getBytes(StandardCharsets.ISO_8859_1));
                default -> junk.replace(",", "") + "," + genuineSignature + ",v1=" + "0".repeat(64);
            };
        }

        byte[] head(int port) {
            List<String> headers = new ArrayList<>();
            if (!contentType.isEmpty()) {
                headers.add("Content-Type: " + contentType);
            }
            String signature = signatureHeader();
            if (signature != null) {
                headers.add("X-PagerDuty-Signature: " + signature);
            }
            headers.add(chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + body.length);
            headers.addAll(extraHeaders);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(RawHttp.head("POST", path, port));
            for (String h : headers) {
                out.writeBytes((h + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            return out.toByteArray();
        }

        byte[] encodedBody() {
            return chunked ? RawHttp.chunked(body, 777) : body;
        }

        @Override
        public String toString() {
            return "Request[mode=" + mode + ", bytes=" + body.length + ", chunked=" + chunked + ", path=" + path
                    + ", contentType=" + contentType + ", extraHeaders=" + extraHeaders + "]";
        }
    }
}
