package dev.pdpipeline.bench.scenario;

import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.load.HttpTarget;
import dev.pdpipeline.bench.load.OpenLoop;
import dev.pdpipeline.bench.load.Payloads;
import dev.pdpipeline.bench.report.Latency;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import io.javalin.Javalin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/** Starting the real services, and the pieces every scenario shares. */
final class Harness {

    static final String WEBHOOK_PATH = "/webhooks/pagerduty";

    private Harness() {
    }

    /** The ingress with real signature checks and a real producer, on a free loopback port. */
    static IngressService startIngress(BenchKafka kafka, Path triggers, Map<String, String> secrets, String rawTopic) {
        Map<String, String> env = new HashMap<>(secrets);
        env.putAll(kafka.clientEnv());
        env.put(IngressConfig.TRIGGERS_PATH, triggers.toString());
        env.put(IngressConfig.INGRESS_HOST, "127.0.0.1");
        env.put(IngressConfig.INGRESS_PORT, "0");
        env.put(IngressConfig.MANAGEMENT_PORT, "0");
        env.put(IngressConfig.READINESS_CHECK_INTERVAL_MS, "200");
        env.put("RAW_TOPIC", rawTopic);
        IngressService ingress = IngressService.start(IngressConfig.fromEnv(env), new SimpleMeterRegistry());
        await(ingress::isReady, Duration.ofSeconds(60), "the ingress to become ready");
        return ingress;
    }

    /** The processor's environment: unique application id, topics and state dir. */
    static Map<String, String> processorEnv(BenchKafka kafka, Path triggers, Map<String, String> secrets,
            String rawTopic, String agentTemplate, Path stateDir, long commitIntervalMs, int partitions) {
        Map<String, String> env = new HashMap<>(secrets);
        env.putAll(kafka.clientEnv());
        env.put(ProcessorConfig.TRIGGERS_PATH, triggers.toString());
        env.put(ProcessorConfig.APPLICATION_ID, kafka.unique("processor"));
        env.put(ProcessorConfig.STATE_DIR, stateDir.toString());
        env.put(ProcessorConfig.COMMIT_INTERVAL_MS, Long.toString(commitIntervalMs));
        env.put(ProcessorConfig.RAW_TOPIC_PARTITIONS, Integer.toString(partitions));
        env.put(ProcessorConfig.MANAGEMENT_PORT, "0");
        env.put("RAW_TOPIC", rawTopic);
        env.put("DLQ_TOPIC", kafka.unique("dlq"));
        env.put("REQUEST_LOG_TOPIC", kafka.unique("requests"));
        env.put("AGENT_TOPIC_TEMPLATE", agentTemplate);
        // a departed instance's partitions move after 6 s, not 45 s
        env.put("KAFKA_SESSION_TIMEOUT_MS", "6000");
        env.put("KAFKA_HEARTBEAT_INTERVAL_MS", "1000");
        return env;
    }

    static ProcessorService startProcessor(Map<String, String> env) {
        return ProcessorService.start(ProcessorConfig.fromEnv(env), new SimpleMeterRegistry());
    }

    /** The limit of the HTTP layer: the same Javalin/Jetty, the same route, 202 without any work. */
    static Javalin startNoopServer(long maxBodyBytes) {
        return dev.pdpipeline.bench.load.NoopServer.start(maxBodyBytes, 0);
    }

    /** One open-loop run, with the client's and the process's CPU use over it. */
    record Measured(OpenLoop.Run run, double clientCores, double processCores, double clientMicrosPerRequest) {
    }

    static Measured measure(double rate, int count, OpenLoop.Target target) {
        long clientBefore = HttpTarget.clientCpuNanos();
        long processBefore = dev.pdpipeline.bench.report.Machine.processCpuNanos();
        OpenLoop.Run run = OpenLoop.run(rate, count, target, Duration.ofSeconds(15));
        long clientCpu = HttpTarget.clientCpuNanos() - clientBefore;
        long processCpu = dev.pdpipeline.bench.report.Machine.processCpuNanos() - processBefore;
        double wallNanos = run.seconds() * 1e9;
        return new Measured(run, clientCpu / wallNanos, processCpu / wallNanos, clientCpu / 1000.0 / count);
    }

    static String newSecret() {
        return "bench-" + UUID.randomUUID();
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // temporary data; the OS cleans /tmp eventually
        }
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }

    /** A loopback port free right now, for a child that must be told its port before it starts. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    /** Waits {@code millis} between two looks at something outside this JVM (a topic, a fake server). */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Runs the rest of the scenario on a thread the client-CPU accounting recognises. */
    static void asGenerator(Runnable body) {
        String name = Thread.currentThread().getName();
        Thread.currentThread().setName("bench-generator");
        try {
            body.run();
        } finally {
            Thread.currentThread().setName(name);
        }
    }

    static double p(Histogram h, double percentile) {
        return Latency.round(Latency.ms(h, percentile));
    }

    /** A pre-built batch of signed, distinct events for one run. */
    static HttpTarget.Request[] signedBatch(Payloads payloads, int count, String secret) {
        HttpTarget.Request[] batch = new HttpTarget.Request[count];
        for (int i = 0; i < count; i++) {
            Payloads.Event e = payloads.next("incident.triggered", "P1");
            batch[i] = new HttpTarget.Request(e.body(), Payloads.sign(e.body(), secret), "W" + e.eventId());
        }
        return batch;
    }
}
