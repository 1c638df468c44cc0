package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.kafka.BenchTriggers;
import dev.pdpipeline.bench.load.HttpTarget;
import dev.pdpipeline.bench.load.OpenLoop;
import dev.pdpipeline.bench.load.Payloads;
import dev.pdpipeline.bench.load.PooledHttpClient;
import dev.pdpipeline.bench.report.Latency;
import dev.pdpipeline.bench.report.Report;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.ingress.IngressService;
import dev.pdpipeline.processor.ProcessorService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * End-to-end latency with exactly-once on: from the moment the ingress answers 202 to the moment
 * the routed request is visible to a read_committed consumer of the agent topic. Ingress and
 * processor run in this JVM against the same broker.
 */
@Command(name = "e2e", mixinStandardHelpOptions = true,
        description = "Latency from the ingress's 202 to the request being visible (read_committed) on the agent topic.")
public final class EndToEndBench implements Callable<Integer> {

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--rates", split = ",", defaultValue = "100,500,1000",
            description = "Fixed rates in events/s (default: ${DEFAULT-VALUE}).")
    List<Double> rates;

    @Option(names = "--seconds", defaultValue = "10", description = "Length of each run.")
    double seconds;

    @Option(names = "--commit-interval-ms", split = ",", defaultValue = "100",
            description = "Processor COMMIT_INTERVAL_MS values to measure, each with a fresh pipeline (default: ${DEFAULT-VALUE}).")
    List<Long> commitIntervals;

    @Option(names = "--connections", defaultValue = "64", description = "Most requests in flight.")
    int connections;

    @Option(names = "--warmup-seconds", defaultValue = "2", description = "Warm-up at 100/s per pipeline, not reported.")
    double warmupSeconds;

    @Override
    public Integer call() {
        Report report = new Report("e2e", List.of("commit ms", "rate/s", "achieved/s", "accepted", "visible",
                "e2e p50 ms", "e2e p99 ms", "e2e max ms", "202 p50 ms", "202 p99 ms"));
        ObjectNode params = report.parameters();
        params.put("rates", rates.toString());
        params.put("seconds", seconds);
        params.put("commitIntervalsMs", commitIntervals.toString());
        params.put("processingGuarantee", "exactly_once_v2");
        params.put("processorInstances", 1);
        params.put("rawPartitions", 3);
        params.put("payloadBytes", common.payloadBytes);
        Payloads payloads = new Payloads(common.seed, common.minBytes(), common.maxBytes());
        String secret = Harness.newSecret();
        Map<String, String> secrets = Map.of(BenchTriggers.SECRET_VAR + 1, secret);
        Path work = Harness.tempDir("bench-e2e-");
        try (BenchKafka kafka = BenchKafka.start(common.bootstrap)) {
            Path triggers = BenchTriggers.write(work.resolve("triggers"), List.of(
                    new BenchTriggers.Spec("bench-e2e", "bench-agent", 1, List.of("incident.triggered"), null)));
            for (long commitMs : commitIntervals) {
                String raw = kafka.unique("raw");
                String template = kafka.unique("agents") + ".{agent}";
                Map<String, String> env = Harness.processorEnv(kafka, triggers, secrets, raw, template,
                        work.resolve("state-" + commitMs), commitMs, 3);
                try (IngressService ingress = Harness.startIngress(kafka, triggers, secrets, raw);
                        ProcessorService processor = Harness.startProcessor(env)) {
                    Harness.await(processor::isReady, Duration.ofSeconds(60), "the processor to run");
                    String agentTopic = template.replace("{agent}", "bench-agent");
                    try (Visibility visibility = new Visibility(kafka.committedReader(List.of(agentTopic), true))) {
                        HttpTarget.Request[][] batch = new HttpTarget.Request[1][];
                        try (PooledHttpClient http = new PooledHttpClient("127.0.0.1", ingress.port(),
                                Harness.WEBHOOK_PATH, connections, 202, i -> batch[0][i])) {
                            OpenLoop.Target target = i -> http.send(i).thenApply(ok -> {
                                if (ok) {
                                    visibility.accepted(batch[0][i].webhookId());
                                }
                                return ok;
                            });
                            Harness.asGenerator(() -> {
                                int warm = (int) Math.max(1, 100 * warmupSeconds);
                                batch[0] = Harness.signedBatch(payloads, warm, secret);
                                OpenLoop.Run w = OpenLoop.run(100, warm, target, Duration.ofSeconds(15));
                                visibility.awaitAll(w.ok(), Duration.ofSeconds(30));
                                visibility.reset();
                                for (double rate : rates) {
                                    int count = (int) Math.max(1, Math.round(rate * seconds));
                                    batch[0] = Harness.signedBatch(payloads, count, secret);
                                    OpenLoop.Run run = OpenLoop.run(rate, count, target, Duration.ofSeconds(15));
                                    long visible = visibility.awaitAll(run.ok(), Duration.ofSeconds(30));
                                    Histogram e2e = visibility.reset();
                                    row(report, commitMs, rate, run, visible, e2e);
                                }
                            });
                        }
                    }
                }
            }
        } finally {
            Harness.deleteQuietly(work);
        }
        report.note("e2e latency = time the routed request became visible to a read_committed consumer minus the "
                + "time the 202 reached the client; the commit interval bounds it (a transaction commits every "
                + "COMMIT_INTERVAL_MS)");
        report.finish(common.out, System.out);
        return 0;
    }

    private void row(Report report, long commitMs, double rate, OpenLoop.Run run, long visible, Histogram e2e) {
        ObjectNode row = Json.mapper().createObjectNode();
        org.slf4j.LoggerFactory.getLogger(EndToEndBench.class).info("commit {} ms, {}/s: e2e p99 {} ms ({} of {} visible)",
                commitMs, rate, Harness.p(e2e, 99), visible, run.ok());
        row.put("commitIntervalMs", commitMs);
        row.put("targetRate", rate);
        row.put("achievedRate", Latency.round(run.achievedRate()));
        row.put("accepted", run.ok());
        row.put("failed", run.failed() + run.unfinished());
        row.put("visible", visible);
        row.set("endToEnd", Latency.summary(e2e));
        row.set("ingressAnswer", Latency.summary(run.latency()));
        report.row(row, commitMs, (long) rate, Math.round(run.achievedRate()), run.ok(), visible,
                Harness.p(e2e, 50), Harness.p(e2e, 99), Latency.round(Latency.maxMs(e2e)),
                Harness.p(run.latency(), 50), Harness.p(run.latency(), 99));
        if (rate == 1000 && commitMs == 100) {
            report.bound("e2eP99At1000PerSecondMs", Latency.ms(e2e, 99), 250,
                    "end-to-end p99 at 1,000 events/s, one processor instance, COMMIT_INTERVAL_MS=100 (target <= 250 ms)");
        }
    }

    /**
     * Pairs each 202 with the routed record's first visibility; whichever side comes second
     * records the difference. Keys are webhook ids (copied by the processor onto the request).
     */
    static final class Visibility implements AutoCloseable {
        private final Map<String, Long> pending = new ConcurrentHashMap<>();
        private final Recorder recorder = new Recorder(Latency.HIGHEST_MICROS, 3);
        private final AtomicLong visible = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Visibility(KafkaConsumer<byte[], byte[]> consumer) {
            this.thread = new Thread(() -> {
                try (consumer) {
                    while (running.get()) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                            Header id = r.headers().lastHeader(PipelineHeaders.WEBHOOK_ID);
                            if (id != null) {
                                seen(new String(id.value(), StandardCharsets.UTF_8));
                            }
                        }
                    }
                }
            }, "bench-visibility");
            thread.start();
        }

        void accepted(String webhookId) {
            long now = System.nanoTime();
            pending.compute(webhookId, (k, seenAt) -> {
                if (seenAt == null) {
                    return now;
                }
                record(seenAt - now); // visible before the 202 reached us: count as ~0
                return null;
            });
        }

        private void seen(String webhookId) {
            long now = System.nanoTime();
            pending.compute(webhookId, (k, acceptedAt) -> {
                if (acceptedAt == null) {
                    return now;
                }
                record(now - acceptedAt);
                return null;
            });
        }

        private void record(long nanos) {
            recorder.recordValue(Math.min(Latency.HIGHEST_MICROS, Math.max(1, nanos / 1000)));
            visible.incrementAndGet();
        }

        /** Waits until {@code expected} pairs were recorded since the last reset; returns how many were. */
        long awaitAll(long expected, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (visible.get() < expected && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return visible.get();
        }

        Histogram reset() {
            visible.set(0);
            pending.clear();
            return recorder.getIntervalHistogram();
        }

        @Override
        public void close() {
            running.set(false);
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
