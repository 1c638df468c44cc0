package dev.pdpipeline.bench.load;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The HTTP side of the load generator: the JDK's asynchronous client over HTTP/1.1 with at most
 * {@code connections} requests (so connections) in flight. Its threads are named, so the CPU the
 * client itself burns can be measured and subtracted from the picture.
 */
public final class HttpTarget implements OpenLoop.Target, AutoCloseable {

    /** Thread name prefixes of the client: our executor and the JDK client's selector. */
    static final List<String> CLIENT_THREADS = List.of("bench-client", "HttpClient-", "bench-generator");

    /** One request to send. */
    public record Request(byte[] body, String signature, String webhookId) {
    }

    private final HttpClient client;
    private final ExecutorService executor;
    private final URI uri;
    private final Semaphore permits;
    private final IntFunction<Request> requests;
    private final int expectedStatus;

    public HttpTarget(URI uri, int connections, int expectedStatus, IntFunction<Request> requests) {
        this.uri = Objects.requireNonNull(uri, "uri");
        this.requests = Objects.requireNonNull(requests, "requests");
        this.permits = new Semaphore(connections);
        this.expectedStatus = expectedStatus;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bench-client-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Override
    public CompletableFuture<Boolean> send(int index) {
        Request r = requests.apply(index);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Webhook-Subscription", "PSUBSCRIPTION1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()));
        if (r.signature() != null) {
            b.header("X-PagerDuty-Signature", r.signature());
        }
        if (r.webhookId() != null) {
            b.header("X-Webhook-Id", r.webhookId());
        }
        HttpRequest request = b.build();
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.completedFuture(false);
        }
        return client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .handle((response, error) -> {
                    permits.release();
                    return error == null && response.statusCode() == expectedStatus;
                });
    }

    /** CPU time (ns) the client's threads have used so far in this JVM. */
    public static long clientCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && CLIENT_THREADS.stream().anyMatch(info.getThreadName()::startsWith)) {
                long cpu = threads.getThreadCpuTime(info.getThreadId());
                total += Math.max(0, cpu);
            }
        }
        return total;
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
