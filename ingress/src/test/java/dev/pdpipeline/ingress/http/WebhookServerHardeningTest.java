package dev.pdpipeline.ingress.http;

import static dev.pdpipeline.ingress.testing.Webhooks.fixture;
import static dev.pdpipeline.ingress.testing.Webhooks.sign;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.signature.WebhookSecret;
import dev.pdpipeline.ingress.testing.RawHttp;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a hostile or broken client can do at the HTTP level: oversized or countless headers,
 * stalling, chunking past the limit, smuggling-shaped framing, odd content types. The listener
 * answers 4xx, never 5xx, never reveals its software or a stack, and never publishes.
 */
class WebhookServerHardeningTest {

    private static final String SECRET = "hardening-secret";
    private static final long LIMIT = 4096;
    /** Short on purpose, for the stalling clients; the other tests use the default. */
    private static final Duration IDLE = Duration.ofMillis(1000);

    private final WebhookServerTest.FakePublisher publisher = new WebhookServerTest.FakePublisher();
    private WebhookServer server;
    private int port;

    @BeforeEach
    void start() {
        restart(WebhookServer.DEFAULT_IDLE_TIMEOUT);
    }

    private void restart(Duration idleTimeout) {
        if (server != null) {
            server.close();
        }
        IngressMetrics metrics = new IngressMetrics(new SimpleMeterRegistry());
        WebhookEndpoint endpoint = new WebhookEndpoint(() -> List.of(new WebhookSecret(SECRET, "fp")), publisher,
                () -> true, metrics, LIMIT, Duration.ofSeconds(2), Clock.systemUTC());
        server = WebhookServer.start("127.0.0.1", 0, endpoint, metrics, LIMIT, Duration.ofSeconds(1),
                new WebhookServer.Options(idleTimeout, null, null));
        port = server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void answers431ToAHugeHeader() throws IOException {
        RawHttp.Response response = post(body(), "X-Junk: " + "a".repeat(64 * 1024));

        assertThat(response.status()).isEqualTo(431);
        assertGeneric(response);
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void answers431ToThousandsOfHeaders() throws IOException {
        List<String> headers = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            headers.add("X-H" + i + ": v");
        }

        RawHttp.Response response = post(body(), headers.toArray(String[]::new));

        assertThat(response.status()).isEqualTo(431);
        assertGeneric(response);
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void acceptsHeadersJustUnderTheLimit() throws IOException {
        byte[] body = body();
        RawHttp.Response response = post(body, "X-PagerDuty-Signature: " + sign(SECRET, body),
                "X-Padding: " + "p".repeat(WebhookServer.MAX_REQUEST_HEADER_BYTES - 600));

        assertThat(response.status()).isEqualTo(202);
    }

    @Test
    void closesAConnectionThatSendsHeadersThenStalls() throws IOException {
        restart(IDLE);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) IDLE.multipliedBy(10).toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(RawHttp.head("POST", WebhookEndpoint.PATH, port, "Content-Length: 1000",
                    "Content-Type: application/json"));
            out.write("\r\n{\"event\":".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();

            drainUntilClosed(socket.getInputStream());

            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            assertThat(elapsed).isLessThan(IDLE.multipliedBy(5));
        }
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void closesAConnectionThatStallsInsideTheHeaders() throws IOException {
        restart(IDLE);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) IDLE.multipliedBy(10).toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + WebhookEndpoint.PATH + " HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();

            drainUntilClosed(socket.getInputStream());

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(IDLE.multipliedBy(5));
        }
    }

    @Test
    void closesAnIdleKeepAliveConnection() throws IOException {
        restart(IDLE);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) IDLE.multipliedBy(10).toMillis());
            long start = System.nanoTime();

            drainUntilClosed(socket.getInputStream());

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(IDLE.multipliedBy(5));
        }
    }

    @Test
    void acceptsAChunkedBodyWithinTheLimit() throws IOException {
        byte[] body = body();
        RawHttp.Response response = RawHttp.exchange(port, RawHttp.head("POST", WebhookEndpoint.PATH, port,
                "Transfer-Encoding: chunked", "X-PagerDuty-Signature: " + sign(SECRET, body)),
                RawHttp.chunked(body, 100), 10_000);

        assertThat(response.status()).isEqualTo(202);
        assertThat(publisher.received).hasSize(1);
        assertThat(publisher.received.get(0).body()).isEqualTo(body);
    }

    @Test
    void acceptsAnEmptyChunkedBody() throws IOException {
        byte[] body = new byte[0];
        RawHttp.Response response = RawHttp.exchange(port, RawHttp.head("POST", WebhookEndpoint.PATH, port,
                "Transfer-Encoding: chunked", "X-PagerDuty-Signature: " + sign(SECRET, body)),
                RawHttp.chunked(body, 100), 10_000);

        assertThat(response.status()).isEqualTo(202);
        assertThat(publisher.received).hasSize(1);
    }

    @Test
    void answers413ToAChunkedBodyOverTheLimit() throws IOException {
        byte[] body = new byte[(int) LIMIT * 8];
        Arrays.fill(body, (byte) 'x');
        RawHttp.Response response = RawHttp.exchange(port, RawHttp.head("POST", WebhookEndpoint.PATH, port,
                "Transfer-Encoding: chunked", "X-PagerDuty-Signature: " + sign(SECRET, body)),
                RawHttp.chunked(body, 1000), 10_000);

        assertThat(response.status()).isEqualTo(413);
        assertGeneric(response);
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void answers413ToAnAnnouncedLengthOverTheLimitWithoutWaitingForTheBody() throws IOException {
        RawHttp.Response response = RawHttp.exchange(port, RawHttp.head("POST", WebhookEndpoint.PATH, port,
                "Content-Length: 999999999", "Expect: 100-continue", "X-PagerDuty-Signature: v1=" + "0".repeat(64)),
                new byte[0], 10_000);

        assertThat(response.status()).isEqualTo(413);
        assertThat(response.raw()).doesNotContain("100 Continue");
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void refusesContentLengthTogetherWithChunkedFraming() throws IOException {
        byte[] body = body();
        RawHttp.Response response = RawHttp.exchange(port, RawHttp.head("POST", WebhookEndpoint.PATH, port,
                "Transfer-Encoding: chunked", "Content-Length: " + body.length,
                "X-PagerDuty-Signature: " + sign(SECRET, body)), RawHttp.chunked(body, 100), 10_000);

        assertThat(response.status()).isEqualTo(400);
        assertGeneric(response);
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void refusesConflictingContentLengths() throws IOException {
        byte[] body = body();
        RawHttp.Response response = RawHttp.exchange(port, RawHttp.head("POST", WebhookEndpoint.PATH, port,
                "Content-Length: " + body.length, "Content-Length: 5",
                "X-PagerDuty-Signature: " + sign(SECRET, body)), body, 10_000);

        assertThat(response.status()).isEqualTo(400);
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void refusesAnInvalidContentLength() throws IOException {
        RawHttp.Response response = RawHttp.exchange(port, RawHttp.head("POST", WebhookEndpoint.PATH, port,
                "Content-Length: -5"), new byte[0], 10_000);

        assertThat(response.status()).isEqualTo(400);
        assertGeneric(response);
    }

    @Test
    void answers400ToGarbageWithoutRevealingTheServer() throws IOException {
        RawHttp.Response response = RawHttp.exchange(port, "GARBAGE \u0001\u0002 NOT-HTTP\r\n"
                .getBytes(StandardCharsets.ISO_8859_1), new byte[0], 10_000);

        assertThat(response.status()).isEqualTo(400);
        assertGeneric(response);
    }

    /** PagerDuty always sends application/json; the signature, not the label, decides. */
    @Test
    void acceptsASignedDeliveryWhateverItsContentType() throws IOException {
        byte[] body = body();
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "application/octet-stream")) {
            RawHttp.Response response = post(body, "Content-Type: " + type,
                    "X-PagerDuty-Signature: " + sign(SECRET, body));

            assertThat(response.status()).as(type).isEqualTo(202);
        }
        assertThat(publisher.received).hasSize(3).allSatisfy(d -> assertThat(d.body()).isEqualTo(body));
    }

    @Test
    void answers404JsonForOtherPathsAndTraversalAttempts() throws IOException {
        for (String path : List.of("/", "/admin", "/webhooks/pagerduty/..", "/webhooks/x/../../etc/passwd",
                "/webhooks/%2e%2e/pagerduty", "/.env")) {
            RawHttp.Response response = RawHttp.exchange(port, RawHttp.head("GET", path, port), new byte[0], 10_000);

            assertThat(response.status()).as(path).isIn(400, 404);
            assertGeneric(response);
        }
    }

    @Test
    void revealsNoServerSoftwareOnAnyAnswer() throws IOException {
        byte[] body = body();
        List<RawHttp.Response> answers = List.of(
                post(body, "X-PagerDuty-Signature: " + sign(SECRET, body)),
                post(body, "X-PagerDuty-Signature: v1=00"),
                RawHttp.exchange(port, RawHttp.head("GET", "/nothing", port), new byte[0], 10_000),
                RawHttp.exchange(port, RawHttp.head("TRACE", WebhookEndpoint.PATH, port), new byte[0], 10_000),
                RawHttp.exchange(port, RawHttp.head("OPTIONS", "*", port), new byte[0], 10_000));

        for (RawHttp.Response response : answers) {
            assertThat(response.status()).as(response.raw()).isBetween(200, 499);
            assertGeneric(response);
        }
    }

    /** No server name or version, no stack, no echo of request content, and a JSON body when there is one. */
    private static void assertGeneric(RawHttp.Response response) {
        assertThat(response.headers()).doesNotContainKeys("server", "x-powered-by");
        assertThat(response.raw()).doesNotContainIgnoringCase("jetty").doesNotContainIgnoringCase("javalin")
                .doesNotContain("at org.", "at dev.", "at io.", "Exception", "<html", SECRET);
        if (!response.body().isEmpty()) {
            assertThat(response.headers().get("content-type")).startsWith("application/json");
        }
    }

    private RawHttp.Response post(byte[] body, String... headers) throws IOException {
        String[] all = Arrays.copyOf(headers, headers.length + 1);
        all[headers.length] = "Content-Length: " + body.length;
        return RawHttp.exchange(port, RawHttp.head("POST", WebhookEndpoint.PATH, port, all), body, 10_000);
    }

    private static byte[] body() {
        return fixture("incident.triggered.json");
    }

    /** Reads until the server closes; fails (SocketTimeoutException) if it never does. */
    private static void drainUntilClosed(InputStream in) throws IOException {
        byte[] buffer = new byte[1024];
        try {
            while (in.read(buffer) != -1) {
                // whatever the server says before closing (e.g. a 408) is fine
            }
        } catch (java.net.SocketException reset) {
            // a reset is a close too
        }
    }
}
