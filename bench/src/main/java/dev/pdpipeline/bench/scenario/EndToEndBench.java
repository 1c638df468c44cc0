package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.kafka.BenchTriggers;
import dev.pdpipeline.bench.load.HttpTarget;
import dev.pdpipeline.bench.load.OpenLoop;
import dev.pdpipeline.bench.load.Payloads;
import dev.pdpipeline.bench.load.PooledHttpClient;
import dev.pdpipeline.bench.process.ChildJvm;
import dev.pdpipeline.bench.report.Latency;
import dev.pdpipeline.bench.report.OwnPauses;
import dev.pdpipeline.bench.report.Report;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.ingress.IngressConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * End-to-end latency with exactly-once on: from the moment the ingress answers 202 to the moment
 * the routed request is visible to a read_committed consumer of the agent topic. The ingress and
 * the processor each run in a JVM of their own, started as users start them
 * ({@code bin/pipeline ingress}, {@code bin/pipeline processor}: the launcher jar with its
 * environment); the load generator and the read_committed reader run in this JVM.
 */
@Command(name = "e2e", mixinStandardHelpOptions = true,
        description = "Latency from the ingress's 202 to the request being visible (read_committed) on the agent topic;"
                + " ingress and processor each in a JVM of its own.")
public final class EndToEndBench implements Callable<Integer> {

    /** The rate the targets are judged at. */
    static final double JUDGED_RATE = 3000;
    /** Target: end-to-end p99 at {@link #JUDGED_RATE}, in ms. */
    static final double E2E_P99_MAX_MS = 250;
    /** Target: the ingress's 202 p99 in that run, in ms. */
    static final double INGRESS_P99_MAX_MS = 20;
    /** Least share of the rate that must be achieved for the run to count. */
    static final double MIN_ACHIEVED_SHARE = 0.95;

    private static final Logger LOG = LoggerFactory.getLogger(EndToEndBench.class);

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--rates", split = ",", defaultValue = "1000,2000,3000",
            description = "Fixed rates in events/s (default: ${DEFAULT-VALUE}); the targets are judged at 3000.")
    List<Double> rates;

    @Option(names = "--seconds", defaultValue = "20",
            description = "Length of each run (default: ${DEFAULT-VALUE}; the issue's figure: 60).")
    double seconds;

    @Option(names = "--commit-interval-ms", split = ",", defaultValue = "100",
            description = "Processor COMMIT_INTERVAL_MS values to measure, each with a fresh pipeline (default: ${DEFAULT-VALUE}).")
    List<Long> commitIntervals;

    @Option(names = "--connections", defaultValue = "64", description = "Most requests in flight.")
    int connections;

    @Option(names = "--warmup-seconds", defaultValue = "60",
            description = "Warm-up at --warmup-rate per pipeline, not reported (default: ${DEFAULT-VALUE}; with less, "
                    + "the JIT compilers of both JVMs still take CPU in the first measured seconds).")
    double warmupSeconds;

    @Option(names = "--warmup-rate", defaultValue = "3000", description = "Rate of the warm-up (default: ${DEFAULT-VALUE}).")
    double warmupRate;

    @Option(names = "--ingress-heap", defaultValue = "512m", description = "-Xmx of the ingress JVM (default: ${DEFAULT-VALUE}).")
    String ingressHeap;

    @Option(names = "--processor-heap", defaultValue = "512m",
            description = "-Xmx of the processor JVM (default: ${DEFAULT-VALUE}).")
    String processorHeap;

    @Option(names = "--ready-timeout-seconds", defaultValue = "180",
            description = "How long the ingress and the processor may take to become ready.")
    long readyTimeoutSeconds;

    @Override
    public Integer call() {
        Report report = new Report("e2e", List.of("commit ms", "rate/s", "achieved/s", "accepted", "visible",
                "e2e p50 ms", "e2e p99 ms", "e2e max ms", "202 p50 ms", "202 p99 ms", "ingress cores", "proc cores"));
        ObjectNode params = report.parameters();
        params.put("rates", rates.toString());
        params.put("seconds", seconds);
        params.put("commitIntervalsMs", commitIntervals.toString());
        params.put("processingGuarantee", "exactly_once_v2");
        params.put("processorInstances", 1);
        params.put("rawPartitions", 3);
        params.put("payloadBytes", common.payloadBytes);
        params.put("connections", connections);
        params.put("warmupSeconds", warmupSeconds);
        params.put("warmupRate", warmupRate);
        params.put("ingressHeap", ingressHeap);
        params.put("processorHeap", processorHeap);
        params.put("parts", "ingress and processor each in a JVM of its own (" + String.join(" ", PipelinePart.launcher())
                .replaceAll("-cp \\S+", "-cp <bench class path>") + " ingress|processor); load generator and "
                + "read_committed reader in the bench JVM");
        Payloads payloads = new Payloads(common.seed, common.minBytes(), common.maxBytes());
        String secret = Harness.newSecret();
        Map<String, String> secrets = Map.of(BenchTriggers.SECRET_VAR + 1, secret);
        Path work = Harness.tempDir("bench-e2e-");
        Duration readyTimeout = Duration.ofSeconds(readyTimeoutSeconds);
        try (BenchKafka kafka = BenchKafka.start(common.bootstrap)) {
            params.put("broker", kafka.isEmbedded() ? "in the bench JVM" : kafka.bootstrapServers());
            Path triggers = BenchTriggers.write(work.resolve("triggers"), List.of(
                    new BenchTriggers.Spec("bench-e2e", "bench-agent", 1, List.of("incident.triggered"), null)));
            for (long commitMs : commitIntervals) {
                String raw = kafka.unique("raw");
                kafka.createTopics(3, raw);
                String template = kafka.unique("agents") + ".{agent}";
                Map<String, String> processorEnv = new HashMap<>(Harness.processorEnv(kafka, triggers, secrets, raw,
                        template, work.resolve("state-" + commitMs), commitMs, 3));
                processorEnv.putAll(PipelinePart.runTopics(kafka));
                int ingressPort = Harness.freePort();
                Map<String, String> ingressEnv = new HashMap<>(secrets);
                ingressEnv.putAll(kafka.clientEnv());
                ingressEnv.put(IngressConfig.TRIGGERS_PATH, triggers.toString());
                ingressEnv.put(IngressConfig.INGRESS_HOST, "127.0.0.1");
                ingressEnv.put(IngressConfig.INGRESS_PORT, Integer.toString(ingressPort));
                ingressEnv.put(IngressConfig.READINESS_CHECK_INTERVAL_MS, "200");
                ingressEnv.put(IngressConfig.RAW_TOPIC_PARTITIONS, "3");
                ingressEnv.put(TopicCatalogue.RAW_TOPIC_ENV, raw);
                ChildJvm processor = PipelinePart.start("processor", processorEnv, processorHeap,
                        work.resolve("processor-" + commitMs + ".log"));
                ChildJvm ingress = PipelinePart.start("ingress", ingressEnv, ingressHeap,
                        work.resolve("ingress-" + commitMs + ".log"));
                try {
                    double processorReady = processor.awaitReady(readyTimeout);
                    double ingressReady = ingress.awaitReady(readyTimeout);
                    LOG.info("commit {} ms: processor ready after {} s, ingress after {} s (separate JVMs, pids {} and {})",
                            commitMs, Latency.round(processorReady), Latency.round(ingressReady), processor.pid(),
                            ingress.pid());
                    String agentTopic = template.replace("{agent}", "bench-agent");
                    try (Visibility visibility = new Visibility(kafka.committedReader(List.of(agentTopic), true))) {
                        HttpTarget.Request[][] batch = new HttpTarget.Request[1][];
                        try (PooledHttpClient http = new PooledHttpClient("127.0.0.1", ingressPort,
                                Harness.WEBHOOK_PATH, connections, 202, i -> batch[0][i]);
                                OwnPauses pauses = new OwnPauses()) {
                            OpenLoop.Target target = i -> http.send(i).thenApply(ok -> {
                                if (ok) {
                                    visibility.accepted(batch[0][i].webhookId());
                                }
                                return ok;
                            });
                            Harness.asGenerator(() -> {
                                // the first run's deliveries are signed before the warm-up, so the garbage
                                // collection after making ~1 GB of them falls in the warm-up, not in the run
                                HttpTarget.Request[] first = Harness.signedBatch(payloads,
                                        (int) Math.max(1, Math.round(rates.get(0) * seconds)), secret);
                                if (warmupSeconds > 0) {
                                    int warm = (int) Math.max(1, warmupRate * warmupSeconds);
                                    batch[0] = Harness.signedBatch(payloads, warm, secret);
                                    OpenLoop.Run w = OpenLoop.run(warmupRate, warm, target, Duration.ofSeconds(15));
                                    visibility.awaitAll(w.ok(), Duration.ofSeconds(30));
                                }
                                visibility.reset();
                                http.takeFailures(); // the warm-up's are not the run's
                                for (double rate : rates) {
                                    int count = (int) Math.max(1, Math.round(rate * seconds));
                                    batch[0] = null; // the last run's batch can go before this one is built
                                    batch[0] = first != null ? first : Harness.signedBatch(payloads, count, secret);
                                    first = null;
                                    // the warm-up's (or the last run's) deliveries are collected now, not
                                    // in the middle of this run, where a pause of the generator and the
                                    // reader would count as the subjects' latency
                                    long collectMs = OwnPauses.collectNow();
                                    pauses.begin();
                                    long ingressCpu = ingress.cpuNanos();
                                    long processorCpu = processor.cpuNanos();
                                    OpenLoop.Run run = OpenLoop.run(rate, count, target, Duration.ofSeconds(15));
                                    double wall = run.seconds() * 1e9;
                                    double ingressCores = (ingress.cpuNanos() - ingressCpu) / wall;
                                    double processorCores = (processor.cpuNanos() - processorCpu) / wall;
                                    long visible = visibility.awaitAll(run.ok(), Duration.ofSeconds(30));
                                    OwnPauses.Window own = pauses.current();
                                    List<long[]> slow = visibility.slowSeconds(E2E_P99_MAX_MS, 10);
                                    Histogram e2e = visibility.reset();
                                    row(report, commitMs, rate, run, http.takeFailures(), visible, e2e,
                                            ingressCores, processorCores, ingress, processor);
                                    ownPauses(report, rate, own, collectMs);
                                    slowSeconds(report, rate, slow);
                                }
                                batch[0] = null;
                            });
                        }
                    }
                } finally {
                    int ingressExit = ingress.stop(Duration.ofSeconds(30));
                    int processorExit = processor.stop(Duration.ofSeconds(60));
                    if (!ChildJvm.stoppedCleanly(ingressExit) || !ChildJvm.stoppedCleanly(processorExit)) {
                        report.note("commit " + commitMs + " ms: after SIGTERM the ingress exited " + ingressExit
                                + " and the processor " + processorExit + " (logs: "
                                + ingress.keepLog(common.out, "e2e-" + commitMs) + ", "
                                + processor.keepLog(common.out, "e2e-" + commitMs) + ")");
                    }
                }
            }
        } finally {
            Harness.deleteQuietly(work);
        }
        if (!report.json().path("ratios").has(e2eName())) {
            report.note("no run at " + (long) JUDGED_RATE + " events/s with COMMIT_INTERVAL_MS=" + commitIntervals.get(0)
                    + ": the targets (e2e p99 <= " + (long) E2E_P99_MAX_MS + " ms, 202 p99 <= " + (long) INGRESS_P99_MAX_MS
                    + " ms) were not judged; run bench/run e2e --rates 3000 --seconds 60");
        }
        report.note("e2e latency = time the routed request became visible to a read_committed consumer minus the "
                + "time the 202 reached the client; the commit interval bounds it (a transaction commits every "
                + "COMMIT_INTERVAL_MS)");
        report.note("ingress/proc cores = CPU time of that JVM (/proc/<pid>/stat) / wall time of the run");
        report.finish(common.out, System.out);
        return 0;
    }

    /**
     * The benchmark JVM's own pauses during the run, in the row's JSON and as a note: they delay the
     * generator and the reader, so a long one shows in the subjects' latency without being theirs.
     */
    private static void ownPauses(Report report, double rate, OwnPauses.Window own, long collectMs) {
        ObjectNode row = lastRow(report);
        if (row != null) {
            row.putObject("benchGcPauses").put("count", own.count())
                    .put("totalMs", own.totalMs()).put("maxMs", own.maxMs()).put("collectedBeforeRunMs", collectMs);
        }
        report.note(String.format("%.0f/s: the benchmark JVM's own GC pauses during the run (they delay its generator "
                + "and reader): %d, %d ms in all, longest %d ms (its garbage was collected before the run, in %d ms)",
                rate, own.count(), own.totalMs(), own.maxMs(), collectMs));
    }

    /** The row's seconds whose e2e latency passed the target, as a note and in the row's JSON. */
    private static void slowSeconds(Report report, double rate, List<long[]> slow) {
        ObjectNode row = lastRow(report);
        ArrayNode list = Json.mapper().createArrayNode();
        StringBuilder text = new StringBuilder();
        for (long[] s : slow) {
            list.addObject().put("second", s[0]).put("maxMs", Latency.round(s[1] / 1000.0));
            text.append(text.length() == 0 ? "" : ", ").append("s").append(s[0]).append(' ')
                    .append(Latency.round(s[1] / 1000.0)).append(" ms");
        }
        if (row != null) {
            row.set("slowSeconds", list);
        }
        if (!slow.isEmpty()) {
            report.note(String.format("%.0f/s: seconds of the run (by 202 time) whose e2e max passed %.0f ms, worst first: %s",
                    rate, E2E_P99_MAX_MS, text));
        }
    }

    /** The row just added, or null. */
    private static ObjectNode lastRow(Report report) {
        ArrayNode rows = (ArrayNode) report.json().path("rows");
        return rows.isEmpty() ? null : (ObjectNode) rows.get(rows.size() - 1);
    }

    static String e2eName() {
        return "e2eP99At" + (long) JUDGED_RATE + "PerSecondMs";
    }

    static String ingressName() {
        return "ingressAnswerP99At" + (long) JUDGED_RATE + "PerSecondMs";
    }

    private void row(Report report, long commitMs, double rate, OpenLoop.Run run, Map<String, Long> failures,
            long visible, Histogram e2e, double ingressCores, double processorCores, ChildJvm ingress,
            ChildJvm processor) {
        ObjectNode row = Json.mapper().createObjectNode();
        LOG.info("commit {} ms, {}/s: e2e p99 {} ms ({} of {} visible), 202 p99 {} ms, achieved {}/s", commitMs, rate,
                Harness.p(e2e, 99), visible, run.ok(), Harness.p(run.latency(), 99), Latency.round(run.achievedRate()));
        row.put("commitIntervalMs", commitMs);
        row.put("targetRate", rate);
        row.put("achievedRate", Latency.round(run.achievedRate()));
        row.put("accepted", run.ok());
        row.put("failed", run.failed() + run.unfinished());
        ObjectNode why = row.putObject("failures");
        failures.forEach(why::put);
        if (run.unfinished() > 0) {
            why.put("unanswered", run.unfinished());
        }
        if (!why.isEmpty()) {
            report.note(String.format("%.0f/s: %d requests not answered 202: %s (a status is the ingress's answer; "
                    + "timeout: no answer within %d s; io: the connection broke; unanswered: still open when the run "
                    + "ended)", rate, run.failed() + run.unfinished(), why, PooledHttpClient.READ_TIMEOUT_MS / 1000));
        }
        row.put("visible", visible);
        row.set("endToEnd", Latency.summary(e2e));
        row.set("ingressAnswer", Latency.summary(run.latency()));
        row.put("seconds", Latency.round(run.seconds()));
        row.put("maxSendLagMs", Latency.round(run.maxSendLagMs()));
        row.put("ingressCpuCores", Latency.round(ingressCores));
        row.put("processorCpuCores", Latency.round(processorCores));
        row.put("ingressRssMb", ingress.rssKb() / 1024);
        row.put("processorRssMb", processor.rssKb() / 1024);
        report.row(row, commitMs, (long) rate, Math.round(run.achievedRate()), run.ok(), visible,
                Harness.p(e2e, 50), Harness.p(e2e, 99), Latency.round(Latency.maxMs(e2e)),
                Harness.p(run.latency(), 50), Harness.p(run.latency(), 99), Latency.round(ingressCores),
                Latency.round(processorCores));
        if (rate == 1000 && commitMs == 100) {
            report.bound("e2eP99At1000PerSecondMs", Latency.ms(e2e, 99), 250,
                    "end-to-end p99 at 1,000 events/s, one processor instance, COMMIT_INTERVAL_MS=100 (target <= 250 ms)");
        }
        if (rate == JUDGED_RATE && commitMs == commitIntervals.get(0)) {
            boolean achieved = run.achievedRate() >= MIN_ACHIEVED_SHARE * rate && visible >= run.ok()
                    && run.failed() + run.unfinished() == 0;
            String how = String.format(" over %.0f s, ingress and processor each in its own JVM, COMMIT_INTERVAL_MS=%d; "
                    + "achieved %.0f/s (met needs >= %.0f%% of the rate, every request answered 202 and seen)",
                    run.seconds(), commitMs, run.achievedRate(), MIN_ACHIEVED_SHARE * 100);
            report.bound(e2eName(), Latency.ms(e2e, 99), E2E_P99_MAX_MS, "end-to-end p99 (202 -> visible to a "
                    + "read_committed consumer) at " + (long) rate + " events/s" + how + " (target <= "
                    + (long) E2E_P99_MAX_MS + " ms)");
            report.bound(ingressName(), Latency.ms(run.latency(), 99), INGRESS_P99_MAX_MS, "ingress 202 p99 at "
                    + (long) rate + " events/s in the same run" + how + " (target <= " + (long) INGRESS_P99_MAX_MS + " ms)");
            report.ratio("achievedVsTargetRateAt" + (long) rate + "PerSecond", run.achievedRate() / rate,
                    MIN_ACHIEVED_SHARE, "achieved / target rate of the run the latency targets are judged on (target >= "
                            + MIN_ACHIEVED_SHARE + ")");
            for (String name : List.of(e2eName(), ingressName())) {
                ObjectNode bound = (ObjectNode) report.json().path("ratios").path(name);
                bound.put("met", bound.path("met").asBoolean() && achieved);
                bound.put("rate", rate);
                bound.put("achievedRate", Latency.round(run.achievedRate()));
                bound.put("seconds", Latency.round(run.seconds()));
            }
        }
    }

    /**
     * Pairs each 202 with the routed record's first visibility; whichever side comes second
     * records the difference. Keys are webhook ids (copied by the processor onto the request).
     */
    static final class Visibility implements AutoCloseable {
        /** Longest second-by-second series kept: runs are at most this long. */
        static final int SECONDS_KEPT = 3600;
        private final Map<String, Long> pending = new ConcurrentHashMap<>();
        /** Per second of the run (by the time the 202 arrived): the longest latency, in µs. */
        private final AtomicLongArray worstBySecond = new AtomicLongArray(SECONDS_KEPT);
        private volatile long startNanos = System.nanoTime();
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
                record(seenAt - now, now); // visible before the 202 reached us: count as ~0
                return null;
            });
        }

        private void seen(String webhookId) {
            long now = System.nanoTime();
            pending.compute(webhookId, (k, acceptedAt) -> {
                if (acceptedAt == null) {
                    return now;
                }
                record(now - acceptedAt, acceptedAt);
                return null;
            });
        }

        private void record(long nanos, long acceptedAt) {
            long micros = Math.min(Latency.HIGHEST_MICROS, Math.max(1, nanos / 1000));
            recorder.recordValue(micros);
            int second = (int) ((acceptedAt - startNanos) / 1_000_000_000L);
            if (second >= 0 && second < SECONDS_KEPT) {
                worstBySecond.accumulateAndGet(second, micros, Math::max);
            }
            visible.incrementAndGet();
        }

        /**
         * The seconds of the run since the last reset whose longest latency passed {@code boundMs},
         * worst first, at most {@code limit}: where a stall happened, not only that one did.
         */
        List<long[]> slowSeconds(double boundMs, int limit) {
            List<long[]> slow = new ArrayList<>();
            for (int i = 0; i < SECONDS_KEPT; i++) {
                long micros = worstBySecond.get(i);
                if (micros > boundMs * 1000) {
                    slow.add(new long[] {i, micros});
                }
            }
            slow.sort((a, b) -> Long.compare(b[1], a[1]));
            return slow.subList(0, Math.min(limit, slow.size()));
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

        /** Starts a new run: counts, pairs and the per-second series start again from now. */
        Histogram reset() {
            visible.set(0);
            pending.clear();
            for (int i = 0; i < SECONDS_KEPT; i++) {
                worstBySecond.set(i, 0);
            }
            startNanos = System.nanoTime();
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
