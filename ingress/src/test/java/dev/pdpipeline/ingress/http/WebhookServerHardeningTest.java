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
    private SimpleMeterRegistry registry;
    private int port;

    @BeforeEach
    void start() {
        restart(WebhookServer.DEFAULT_IDLE_TIMEOUT);
    }

    private void restart(Duration idleTimeout) {
        restart(idleTimeout, SlowClientLimits.defaults());
    }

    private void restart(Duration idleTimeout, SlowClientLimits limits) {
        if (server != null) {
            server.close();
        }
        registry = new SimpleMeterRegistry();
        IngressMetrics metrics = new IngressMetrics(registry);
        WebhookEndpoint endpoint = new WebhookEndpoint(() -> List.of(new WebhookSecret(SECRET, "fp")), publisher,
                () -> true, metrics, LIMIT, Duration.ofSeconds(2), limits.bodyTimeout(), Clock.systemUTC());
        server = WebhookServer.start("127.0.0.1", 0, endpoint, metrics, LIMIT, Duration.ofSeconds(1),
                new WebhookServer.Options(idleTimeout, null, null, limits));
        port = server.port();
    }

    private static SlowClientLimits limits(Duration header, Duration body, long rate, int perAddress) {
        return new SlowClientLimits(header, body, rate, perAddress, SlowClientLimits.DEFAULT_MAX_CONNECTIONS);
    }

    private double closed(String reason) {
        var counter = registry.find(IngressMetrics.CONNECTIONS_CLOSED).tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
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

    /** The reproduction: a chunk size that is not hex used to be a 500. */
    @Test
    void answers400JsonToAChunkSizeThatIsNotHex() throws IOException {
        byte[] body = body();
        byte[] framed = ("zz\r\n" + new String(body, StandardCharsets.ISO_8859_1) + "\r\n0\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        RawHttp.Response response = RawHttp.exchange(port, RawHttp.head("POST", WebhookEndpoint.PATH, port,
                "Transfer-Encoding: chunked", "X-PagerDuty-Signature: " + sign(SECRET, body)), framed, 10_000);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":\"malformed or incomplete request body\"}");
        assertGeneric(response);
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void answers400JsonToABodyShorterThanItsContentLength() throws IOException {
        byte[] body = body();
        RawHttp.Response response = MalformedFramingPropertiesTest.sendAndHalfClose(port, concat(
                RawHttp.head("POST", WebhookEndpoint.PATH, port, "Content-Length: " + (body.length + 10),
                        "X-PagerDuty-Signature: " + sign(SECRET, body), ""), body));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).startsWith("{\"error\":");
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void answers408AndClosesWhenTheBodyMissesItsDeadline() throws IOException {
        Duration deadline = Duration.ofMillis(1500);
        restart(WebhookServer.DEFAULT_IDLE_TIMEOUT, limits(Duration.ofSeconds(5), deadline, 0, 64));
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(RawHttp.head("POST", WebhookEndpoint.PATH, port, "Content-Length: 2000", ""));
            out.flush();
            long start = System.nanoTime();
            // a byte every 200 ms: the idle timeout (30 s) never fires, the body deadline does
            RawHttp.Response response = trickleUntilAnswered(socket, 200);

            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.headers()).containsEntry("connection", "close");
            assertThat(response.body()).startsWith("{\"error\":\"request body not received within 1500 ms");
            assertThat(elapsed).isBetween(deadline.minusMillis(100), deadline.plusSeconds(3));
        }
        assertThat(closed(IngressMetrics.CLOSED_BODY_TIMEOUT)).isEqualTo(1);
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void answers408WhenTheBodyIsBelowTheMinimumDataRate() throws IOException {
        restart(WebhookServer.DEFAULT_IDLE_TIMEOUT, limits(Duration.ofSeconds(5), Duration.ofSeconds(30), 1000, 64));
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(RawHttp.head("POST", WebhookEndpoint.PATH, port, "Content-Length: 2000", ""));
            out.flush();
            long start = System.nanoTime();
            RawHttp.Response response = trickleUntilAnswered(socket, 100); // 10 B/s, far below 1000 B/s

            assertThat(response.status()).isEqualTo(408);
            assertThat(response.body()).isEqualTo("{\"error\":\"request body arrived too slowly\"}");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
        assertThat(closed(IngressMetrics.CLOSED_SLOW_BODY)).isEqualTo(1);
    }

    @Test
    void closesAConnectionWhoseHeadersTrickleInPastTheHeaderDeadline() throws IOException {
        Duration deadline = Duration.ofMillis(1000);
        restart(WebhookServer.DEFAULT_IDLE_TIMEOUT, limits(deadline, Duration.ofSeconds(5), 0, 64));
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(200);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + WebhookEndpoint.PATH + " HTTP/1.1\r\nHost: x\r\n").getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            boolean closed = false;
            // a header byte every 100 ms would keep the idle timeout (30 s) from ever firing
            while (!closed && Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(10)) < 0) {
                try {
                    out.write('X');
                    out.flush();
                    closed = socket.getInputStream().read() == -1;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // not closed yet
                } catch (IOException reset) {
                    closed = true;
                }
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            assertThat(closed).as("closed").isTrue();
            assertThat(elapsed).isBetween(deadline, deadline.plusSeconds(3));
        }
        assertThat(closed(IngressMetrics.CLOSED_HEADER_TIMEOUT)).isEqualTo(1);
    }

    @Test
    void closesConnectionsBeyondTheBoundPerClientAddressAndAcceptsAgainOnceOneCloses() throws IOException {
        restart(WebhookServer.DEFAULT_IDLE_TIMEOUT, limits(Duration.ofSeconds(5), Duration.ofSeconds(5), 0, 3));
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                held.add(new Socket("127.0.0.1", port));
            }
            // the bound counts a connection once Jetty opened it, which under load lags the client's connect
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> server.openConnections(java.net.InetAddress.getByName("127.0.0.1")) == 3);
            try (Socket fourth = new Socket("127.0.0.1", port)) {
                fourth.setSoTimeout(5_000);
                int read;
                try {
                    read = fourth.getInputStream().read();
                } catch (java.net.SocketException reset) {
                    read = -1;
                }
                assertThat(read).as("the fourth connection is closed at once").isEqualTo(-1);
            }
            // another address of the loopback range is another client
            byte[] body = body();
            try (Socket other = new Socket()) {
                other.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
                other.connect(new java.net.InetSocketAddress("127.0.0.1", port));
                other.setSoTimeout(10_000);
                other.getOutputStream().write(concat(RawHttp.head("POST", WebhookEndpoint.PATH, port,
                        "Content-Length: " + body.length, "X-PagerDuty-Signature: " + sign(SECRET, body), ""), body));
                assertThat(RawHttp.read(other.getInputStream()).status()).isEqualTo(202);
            }
            held.remove(0).close();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(post(body, "X-PagerDuty-Signature: " + sign(SECRET, body)).status()).isEqualTo(202));
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        assertThat(closed(IngressMetrics.CLOSED_ADDRESS_LIMIT)).isGreaterThanOrEqualTo(1);
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

    /** Sends one body byte every {@code everyMillis} until the server answers (or closes). */
    private static RawHttp.Response trickleUntilAnswered(Socket socket, int everyMillis) throws IOException {
        socket.setSoTimeout(everyMillis);
        InputStream in = socket.getInputStream();
        java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        byte[] buffer = new byte[4096];
        while (System.nanoTime() < until) {
            try {
                socket.getOutputStream().write('a');
                socket.getOutputStream().flush();
            } catch (IOException closedForWriting) {
                // the server answered and closed; read what it said
            }
            try {
                int n = in.read(buffer);
                if (n == -1) {
                    break;
                }
                answer.write(buffer, 0, n);
            } catch (java.net.SocketTimeoutException nothingYet) {
                // keep trickling
            } catch (java.net.SocketException reset) {
                break;
            }
        }
        return RawHttp.parse(answer.toString(StandardCharsets.ISO_8859_1));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
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
