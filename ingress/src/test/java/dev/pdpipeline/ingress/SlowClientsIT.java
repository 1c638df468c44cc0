package dev.pdpipeline.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.ingress.http.WebhookEndpoint;
import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.testing.Webhooks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unauthenticated raw sockets that trickle their requests, against the ingress on a real broker:
 * 1,000 connections that announce a 100 KB body and send a byte every 500 ms, and 300 that send
 * their headers a byte every 500 ms (so the idle timeout never fires). Meanwhile signed
 * deliveries still get their 202 within 2 s, no Jetty thread sits in a body read, and every
 * trickling connection is closed once its deadline passes (not before).
 *
 * <p>The slow connections come from 127.0.0.2 and up, at most {@value #PER_ADDRESS} per address,
 * so the default per-address bound ({@code INGRESS_MAX_CONNECTIONS_PER_ADDRESS}=64) stays on and
 * is not what protects the ingress here; {@link #theBoundPerClientAddressClosesTheExcessAtOnce}
 * shows that bound on its own. Needs about 3,000 open files (the test checks the limit).
 */
@Tag("slow")
class SlowClientsIT {

    private static final Logger LOG = LoggerFactory.getLogger(SlowClientsIT.class);
    private static final String SECRET = "slow-clients-secret";
    private static final int SLOW_BODIES = 1_000;
    private static final int SLOW_HEADERS = 300;
    private static final int PER_ADDRESS = 60;
    /** Set in the environment below; the documented defaults are 5 s, longer here to hold all of them at once. */
    private static final Duration HEADER_DEADLINE = Duration.ofSeconds(10);
    private static final Duration BODY_DEADLINE = Duration.ofSeconds(10);
    private static final long TRICKLE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    @TempDir
    static Path triggers;

    private static IngressService service;
    private static SimpleMeterRegistry registry;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        long openFiles = openFileLimit();
        assertThat(openFiles).as("open-file limit (ulimit -n) for %d client and %d server sockets",
                SLOW_BODIES + SLOW_HEADERS, SLOW_BODIES + SLOW_HEADERS).isGreaterThanOrEqualTo(4_096);
        TestKafka kafka = TestKafka.shared();
        Webhooks.writeTrigger(triggers, "slow", "SLOW_SECRET");
        Map<String, String> env = new HashMap<>();
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("INGRESS_HOST", "127.0.0.1");
        env.put("INGRESS_PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("READINESS_CHECK_INTERVAL_MS", "500");
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("RAW_TOPIC", kafka.uniqueTopic("slow-raw"));
        env.put("INGRESS_HEADER_TIMEOUT_MS", Long.toString(HEADER_DEADLINE.toMillis()));
        env.put("INGRESS_BODY_TIMEOUT_MS", Long.toString(BODY_DEADLINE.toMillis()));
        env.put("SLOW_SECRET", SECRET);
        registry = new SimpleMeterRegistry();
        service = IngressService.start(IngressConfig.fromEnv(env), registry);
        await().atMost(Duration.ofSeconds(60)).until(service::isReady);
        assertThat(post(0).statusCode()).isEqualTo(202); // warm: producer metadata, JIT
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    /** One trickling connection: what it sends, when it started, when (and how) the server ended it. */
    private static final class Slow {
        final SocketChannel channel;
        final boolean body;
        final StringBuilder answer = new StringBuilder();
        long startedAt;
        long closedAt;
        int sent;

        Slow(SocketChannel channel, boolean body) {
            this.channel = channel;
            this.body = body;
        }
    }

    @Test
    void signedDeliveriesGet202WithinTwoSecondsWhileSlowClientsAreHeldAndTheSlowOnesAreClosedAtTheirDeadline()
            throws Exception {
        int port = service.port();
        List<Slow> slow = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < SLOW_BODIES + SLOW_HEADERS; i++) {
                String local = "127.0.0." + (2 + i / PER_ADDRESS);
                SocketChannel channel = SocketChannel.open();
                channel.bind(new InetSocketAddress(local, 0));
                channel.connect(new InetSocketAddress("127.0.0.1", port));
                channel.configureBlocking(false);
                Slow s = new Slow(channel, i < SLOW_BODIES);
                channel.register(selector, SelectionKey.OP_READ, s);
                slow.add(s);
            }
            // connected first (idle: the idle timeout of 30 s is far), then every request starts at about the same time
            long connected = System.nanoTime();
            for (Slow s : slow) {
                write(s.channel, s.body
                        ? "POST " + WebhookEndpoint.PATH + " HTTP/1.1\r\nHost: x\r\nContent-Length: 102400\r\n"
                                + "Content-Type: application/json\r\n\r\n{"
                        : "P");
                s.startedAt = System.nanoTime();
            }
            long allOpen = System.nanoTime();
            LOG.info("{} slow-body and {} slow-header connections open; all requests started within {} ms",
                    SLOW_BODIES, SLOW_HEADERS, TimeUnit.NANOSECONDS.toMillis(allOpen - connected));

            // signed deliveries from their own thread while every slow connection is still held
            List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
            int[] jetty = new int[2];
            long windowEnd = allOpen + HEADER_DEADLINE.minusSeconds(3).toNanos();
            Thread sender = new Thread(() -> {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1_500)); // let the server take in 1,300 request starts
                for (int n = 1; n <= 20 && System.nanoTime() < windowEnd; n++) {
                    long sent = System.nanoTime();
                    int status;
                    try {
                        status = post(n).statusCode();
                    } catch (Exception e) {
                        status = -1;
                    }
                    latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
                    statuses.add(status);
                    if (n == 3) {
                        jetty[0] = threads("JettyServerThreadPool", null);
                        jetty[1] = threads("JettyServerThreadPool", "org.eclipse.jetty.ee10.servlet");
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
                }
            }, "signed-sender");
            sender.start();
            long nextTrickle = System.nanoTime();
            long heldThroughWindow = -1;
            long stopAt = System.nanoTime() + HEADER_DEADLINE.plus(BODY_DEADLINE).plusSeconds(10).toNanos();
            while (System.nanoTime() < stopAt && slow.stream().anyMatch(s -> s.closedAt == 0)) {
                long now = System.nanoTime();
                if (now >= nextTrickle) {
                    for (Slow s : slow) {
                        if (s.closedAt == 0) {
                            trickle(s);
                        }
                    }
                    nextTrickle = now + TRICKLE_NANOS;
                }
                if (heldThroughWindow < 0 && now >= windowEnd) {
                    heldThroughWindow = slow.stream().filter(s -> s.closedAt == 0).count();
                }
                selector.select(20);
                for (SelectionKey key : selector.selectedKeys()) {
                    readOrClose((Slow) key.attachment(), key);
                }
                selector.selectedKeys().clear();
            }
            sender.join(30_000);
            int jettyThreads = jetty[0];
            int jettyThreadsInServlet = jetty[1];
            assertThat(heldThroughWindow).as("slow connections still held when the last delivery was sent")
                    .isEqualTo(SLOW_BODIES + SLOW_HEADERS);
            assertThat(statuses).as("signed deliveries").isNotEmpty().containsOnly(202);

            long maxLatency = latencies.stream().mapToLong(Long::longValue).max().orElseThrow();
            Map<String, Integer> answers = new HashMap<>();
            long earliestBody = Long.MAX_VALUE;
            long latestBody = 0;
            long earliestHeader = Long.MAX_VALUE;
            long latestHeader = 0;
            for (Slow s : slow) {
                assertThat(s.closedAt).as("closed by the server").isPositive();
                long held = TimeUnit.NANOSECONDS.toMillis(s.closedAt - s.startedAt);
                Matcher status = Pattern.compile("^HTTP/1.1 (\\d{3})").matcher(s.answer);
                answers.merge((s.body ? "body " : "header ") + (status.find() ? status.group(1) : "closed"), 1,
                        Integer::sum);
                if (s.body) {
                    earliestBody = Math.min(earliestBody, held);
                    latestBody = Math.max(latestBody, held);
                } else {
                    earliestHeader = Math.min(earliestHeader, held);
                    latestHeader = Math.max(latestHeader, held);
                }
            }
            LOG.info("Slow clients: deliveries answered 202 in {} ms (max {} ms); Jetty threads {} (in a servlet: {});"
                            + " slow bodies closed after {}-{} ms (deadline {} ms), slow headers after {}-{} ms "
                            + "(deadline {} ms); answers {}; closed-by-reason {}", latencies, maxLatency,
                    jettyThreads, jettyThreadsInServlet, earliestBody, latestBody, BODY_DEADLINE.toMillis(),
                    earliestHeader, latestHeader, HEADER_DEADLINE.toMillis(), answers, closedByReason());

            assertThat(latencies).as("deliveries sent while every slow connection was held").hasSizeGreaterThanOrEqualTo(5);
            assertThat(maxLatency).as("slowest 202 (ms)").isLessThan(2_000);
            assertThat(jettyThreadsInServlet).as("Jetty threads inside a request while bodies trickle").isLessThan(10);
            assertThat(earliestBody).as("no slow body closed before its deadline")
                    .isGreaterThanOrEqualTo(BODY_DEADLINE.toMillis() - 100);
            assertThat(latestBody).as("every slow body closed soon after its deadline")
                    .isLessThan(BODY_DEADLINE.plusSeconds(5).toMillis());
            assertThat(earliestHeader).as("no slow header closed before its deadline")
                    .isGreaterThanOrEqualTo(HEADER_DEADLINE.toMillis() - 100);
            assertThat(latestHeader).as("every slow header closed soon after its deadline")
                    .isLessThan(HEADER_DEADLINE.plusSeconds(5).toMillis());
            assertThat(answers).containsEntry("body 408", SLOW_BODIES).containsEntry("header closed", SLOW_HEADERS);
            assertThat(closedByReason()).containsEntry(IngressMetrics.CLOSED_BODY_TIMEOUT, (double) SLOW_BODIES)
                    .containsEntry(IngressMetrics.CLOSED_HEADER_TIMEOUT, (double) SLOW_HEADERS);
        } finally {
            for (Slow s : slow) {
                s.channel.close();
            }
        }
    }

    @Test
    void theBoundPerClientAddressClosesTheExcessAtOnce() throws Exception {
        int port = service.port();
        List<SocketChannel> held = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            Map<SocketChannel, Boolean> closed = new HashMap<>();
            for (int i = 0; i < 300; i++) {
                SocketChannel channel = SocketChannel.open();
                channel.bind(new InetSocketAddress("127.0.1.1", 0));
                channel.connect(new InetSocketAddress("127.0.0.1", port));
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ, channel);
                held.add(channel);
            }
            ByteBuffer buffer = ByteBuffer.allocate(1024);
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    SocketChannel channel = (SocketChannel) key.attachment();
                    buffer.clear();
                    int n;
                    try {
                        n = channel.read(buffer);
                    } catch (IOException reset) {
                        n = -1;
                    }
                    if (n == -1) {
                        closed.put(channel, true);
                        key.cancel();
                    }
                }
                selector.selectedKeys().clear();
                return closed.size() >= 300 - 256;
            });
            assertThat(closed).as("connections beyond 256 from one address are closed").hasSize(300 - 256);
            // another address is unaffected
            assertThat(post(1_000).statusCode()).isEqualTo(202);
        } finally {
            for (SocketChannel c : held) {
                c.close();
            }
        }
    }

    private static void trickle(Slow s) {
        try {
            write(s.channel, s.body ? "a" : (s.sent++ == 0 ? "OST / HTTP/1.1\r\nHost: x\r\nX-Slow: " : "s"));
        } catch (IOException closedByServer) {
            if (s.closedAt == 0) {
                s.closedAt = System.nanoTime();
            }
        }
    }

    private static void readOrClose(Slow s, SelectionKey key) {
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        int n;
        try {
            n = s.channel.read(buffer);
        } catch (IOException reset) {
            n = -1;
        }
        if (n > 0) {
            s.answer.append(new String(buffer.array(), 0, n, StandardCharsets.ISO_8859_1));
        }
        if (n == -1 && s.closedAt == 0) {
            s.closedAt = System.nanoTime();
            key.cancel();
        }
    }

    private static void write(SocketChannel channel, String text) throws IOException {
        channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static HttpResponse<String> post(int n) throws Exception {
        byte[] body = ("{\"event\":{\"id\":\"slow-" + n + "-" + UUID.randomUUID() + "\",\"event_type\":"
                + "\"incident.triggered\",\"resource_type\":\"incident\",\"data\":{\"id\":\"PSLOW" + n
                + "\",\"type\":\"incident\"}}}").getBytes(StandardCharsets.UTF_8);
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + WebhookEndpoint.PATH))
                .timeout(Duration.ofSeconds(10))
                .header("X-PagerDuty-Signature", Webhooks.sign(SECRET, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Double> closedByReason() {
        Map<String, Double> byReason = new HashMap<>();
        registry.find(IngressMetrics.CONNECTIONS_CLOSED).counters()
                .forEach(c -> byReason.put(c.getId().getTag("reason"), c.count()));
        return byReason;
    }

    /** Live threads whose name starts with {@code prefix} and, if given, whose stack mentions {@code frame}. */
    private static int threads(String prefix, String frame) {
        int n = 0;
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (!e.getKey().getName().startsWith(prefix)) {
                continue;
            }
            boolean matches = frame == null;
            for (StackTraceElement element : e.getValue()) {
                matches |= element.getClassName().startsWith(frame == null ? "" : frame);
            }
            n += matches ? 1 : 0;
        }
        return n;
    }

    private static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return Long.MAX_VALUE;
    }
}
