package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.kafka.BenchTriggers;
import dev.pdpipeline.bench.process.ChildJvm;
import dev.pdpipeline.bench.report.Latency;
import dev.pdpipeline.bench.report.Machine;
import dev.pdpipeline.bench.report.Report;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import dev.pdpipeline.processor.notes.NotesConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The processor's memory as its history grows: its resident set after restarting with 1 M, then
 * 2 M routed requests and results in the request log and the results ledger, and how long such
 * a restart takes to be ready. The processor runs as users run it ({@code bin/pipeline processor}
 * in a JVM of its own, notes writer on), so what is measured is the process from outside, whatever
 * keeps its state (maps on the heap, RocksDB under {@code STATE_DIR}).
 *
 * <p>History is appended with a plain producer in the processor's own formats while the
 * processor is stopped ({@link History}); then, at every point, a live slice is routed through
 * the processor and its results written as notes to a fake PagerDuty ({@link LiveSlice}), so
 * the stores are exercised, not only restored.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Processor RSS and restart-to-ready time with 1 M and 2 M routed requests and results in history.")
public final class MemoryBench implements Callable<Integer> {

    /** Target: resident memory of the restarted processor at 1 M, in MB. */
    static final double RSS_MAX_MB = 768;
    /** Target: resident memory at 2 M / at 1 M ("flat"). */
    static final double GROWTH_MAX = 1.1;
    /** Target: restart to ready at 1 M, in s. */
    static final double READY_MAX_SECONDS = 30;

    static final String TRIGGER = "bench-memory";
    static final String AGENT = "memory-agent";
    static final String TOKEN = "u+bench-memory-token";

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--requests", split = ",", defaultValue = "1000000,2000000",
            description = "History sizes to measure at: routed requests (and as many results) in the request log and "
                    + "the ledger (default: ${DEFAULT-VALUE}); the targets are judged at the first two.")
    List<Long> requests;

    @Option(names = "--heap", defaultValue = "512m", description = "-Xmx of the processor JVM (default: ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--live", defaultValue = "3000",
            description = "Events routed through the processor, and results written as notes, at every point "
                    + "(default: ${DEFAULT-VALUE}).")
    int live;

    @Option(names = "--live-incidents", defaultValue = "100", description = "Incidents the live slice spreads over.")
    int liveIncidents;

    @Option(names = "--ready-timeout-seconds", defaultValue = "180",
            description = "Give up on a start after this (default: ${DEFAULT-VALUE}).")
    long readyTimeoutSeconds;

    @Option(names = "--live-timeout-seconds", defaultValue = "300", description = "Give up on a live slice after this.")
    long liveTimeoutSeconds;

    @Option(names = "--settle-seconds", defaultValue = "3",
            description = "Pause after ready before the memory is read (default: ${DEFAULT-VALUE}).")
    double settleSeconds;

    /** What one point measured. */
    record Point(long requests, long results, boolean ready, double readySeconds, long rssReadyKb, long peakReadyKb,
            long rssLiveKb, long peakKb, long heapCommittedLiveKb, String failure) {

        /** Resident memory after the live slice beyond the committed Java heap (RocksDB, threads, code...), or -1. */
        long rssBeyondHeapKb() {
            return rssLiveKb < 0 || heapCommittedLiveKb < 0 ? -1 : rssLiveKb - heapCommittedLiveKb;
        }
    }

    /**
     * The committed Java heap in bytes from a Prometheus scrape ({@code jvm_memory_committed_bytes}
     * summed over its {@code area="heap"} pools), or -1 when the scrape has none. The JVM sizes its
     * heap by its own heuristics, so between two runs the heap alone can move the RSS by 100 MB;
     * with it beside the RSS a reader can tell that from state that grows.
     */
    static long heapCommittedBytes(String scrape) {
        double sum = 0;
        boolean found = false;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("jvm_memory_committed_bytes{") && line.contains("area=\"heap\"")) {
                String value = line.substring(line.lastIndexOf('}') + 1).trim();
                int space = value.indexOf(' ');
                sum += Double.parseDouble(space < 0 ? value : value.substring(0, space));
                found = true;
            }
        }
        return found ? (long) sum : -1;
    }

    /** The processor's committed heap in KiB, read from its management server's /metrics; -1 if unreadable. */
    private static long heapCommittedKb(ChildJvm processor) {
        URI ready = processor.readinessUrl();
        if (ready == null) {
            return -1;
        }
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(ready.resolve("/metrics")).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            long bytes = r.statusCode() == 200 ? heapCommittedBytes(r.body()) : -1;
            return bytes < 0 ? -1 : bytes / 1024;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public Integer call() {
        List<Long> points = new ArrayList<>(new TreeSet<>(requests));
        Report report = new Report("memory", List.of("history", "results", "added", "add s", "ready s", "RSS ready MB",
                "RSS live MB", "peak MB", "live routed", "live notes", "live s", "state MB", "exit"));
        ObjectNode params = report.parameters();
        params.put("requests", points.toString());
        params.put("heap", heap);
        params.put("live", live);
        params.put("liveIncidents", liveIncidents);
        params.put("processor", "bin/pipeline processor in a JVM of its own (" + String.join(" ", PipelinePart.launcher())
                .replaceAll("-cp \\S+", "-cp <bench class path>") + " processor), -Xmx" + heap + ", notes writer on");
        params.put("history", "per request: a request-log record (RequestLogRecord.toJson), a result envelope on the "
                + "results topic and its ledger 'done' entry; the notes consumer group's offsets moved past them");
        String secret = Harness.newSecret();
        String runStamp = Long.toString(System.currentTimeMillis() / 1000);
        Path work = Harness.tempDir("bench-memory-");
        Map<Long, Point> measured = new LinkedHashMap<>();
        String[] incidents = new String[liveIncidents];
        for (int i = 0; i < liveIncidents; i++) {
            incidents[i] = "QLIVE" + i;
        }
        try (BenchKafka kafka = BenchKafka.start(common.bootstrap);
                FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents(incidents)) {
            params.put("broker", kafka.isEmbedded() ? "in the bench JVM" : kafka.bootstrapServers());
            Path triggers = BenchTriggers.write(work.resolve("triggers"), List.of(
                    new BenchTriggers.Spec(TRIGGER, AGENT, 1, List.of("incident.triggered"), null)));
            String raw = kafka.unique("raw");
            String template = kafka.unique("agents") + ".{agent}";
            Path stateDir = work.resolve("state");
            Map<String, String> env = new HashMap<>(Harness.processorEnv(kafka, triggers,
                    Map.of(BenchTriggers.SECRET_VAR + 1, secret), raw, template, stateDir, 100, 3));
            env.putAll(PipelinePart.runTopics(kafka));
            env.put("BENCH_API_TOKEN", TOKEN);
            env.put(NotesConfig.PAGERDUTY_API_URL, fake.url().toString());
            env.put(NotesConfig.PAGERDUTY_FROM_EMAIL, "bench-bot@example.com");
            env.put(NotesConfig.PAGERDUTY_RATE_LIMIT_PER_MINUTE, "1000000");
            TopicCatalogue topics = TopicCatalogue.fromEnv(env);
            History history = new History(kafka, topics, TRIGGER, AGENT, common.seed);
            LiveSlice slice = new LiveSlice(kafka, topics, AGENT, secret, incidents, fake, common.seed);
            List<Long> all = new ArrayList<>();
            all.add(0L); // a first start on empty topics: creates them as planned, and the baseline
            all.addAll(points);
            long inHistory = 0;
            long resultsInHistory = 0;
            int start = 0;
            for (long target : all) {
                long added = 0;
                double addSeconds = 0;
                if (target > inHistory) {
                    added = target - inHistory;
                    long t0 = System.nanoTime();
                    history.append(added);
                    history.skipResults(env.get(ProcessorConfig.APPLICATION_ID) + "-notes");
                    addSeconds = (System.nanoTime() - t0) / 1e9;
                    inHistory += added;
                    resultsInHistory += added;
                }
                start++;
                long requestsAtStart = inHistory;
                long resultsAtStart = resultsInHistory;
                ChildJvm processor = PipelinePart.start("processor", env, heap,
                        work.resolve("processor-" + start + ".log"));
                Point point;
                LiveSlice.Outcome outcome = null;
                int exit;
                try {
                    double ready = processor.awaitReady(Duration.ofSeconds(readyTimeoutSeconds));
                    Harness.pause((long) (settleSeconds * 1000));
                    long rssReady = processor.rssKb();
                    long peakReady = processor.peakRssKb();
                    outcome = slice.run(live, Duration.ofSeconds(liveTimeoutSeconds));
                    inHistory += outcome.routed();
                    resultsInHistory += outcome.notes();
                    long rssLive = processor.rssKb();
                    long heapLive = heapCommittedKb(processor);
                    point = new Point(requestsAtStart, resultsAtStart, true, ready,
                            rssReady, peakReady, rssLive, processor.peakRssKb(), heapLive,
                            outcome.complete() ? null : "live slice incomplete: " + outcome.routed() + " of " + live
                                    + " routed, " + outcome.notes() + " notes");
                } catch (ChildJvm.NotReadyException e) {
                    System.err.println(e.getMessage());
                    // the resident memory when we gave up (nothing if it exited) is in peak and the failure
                    long rss = processor.rssKb();
                    point = new Point(requestsAtStart, resultsAtStart, false, -1, -1, -1, -1, processor.peakRssKb(), -1,
                            e.reason() + (rss > 0 ? " (VmRSS " + rss / 1024 + " MB then)" : "") + oomHint(processor));
                } finally {
                    exit = processor.stop(Duration.ofSeconds(60));
                }
                measured.put(target, point);
                row(report, point, added, addSeconds, outcome, Machine.directorySize(stateDir), exit);
                if (!point.ready()) {
                    report.note("the processor did not become ready with " + target + " requests in history ("
                            + point.failure() + "); larger points skipped. Its log: "
                            + processor.keepLog(common.out, "memory-" + runStamp));
                    break;
                }
            }
            params.put("pagerDutyCalls", fake.requests().size());
        } finally {
            Harness.deleteQuietly(work);
        }
        judge(report, points, measured);
        report.note("RSS ready = VmRSS " + settleSeconds + " s after /health/ready first answered 200; RSS live = VmRSS "
                + "after the live slice; peak = VmHWM (the most resident memory of the process's whole life, restore "
                + "included); ready s = from starting the JVM to the first 200 of /health/ready (restore of the request "
                + "log and ledger included)");
        report.note("history is written while the processor is stopped, then it is started again on the same STATE_DIR "
                + "(a restart); raw, decisions and agent-topic records of the history are not written: the processor "
                + "never reads them back, and dedup keeps only its window");
        report.finish(common.out, System.out);
        return 0;
    }

    private void row(Report report, Point p, long added, double addSeconds, LiveSlice.Outcome live, long stateBytes,
            int exit) {
        ObjectNode row = Json.mapper().createObjectNode();
        row.put("requestsInHistory", p.requests());
        row.put("resultsInHistory", p.results());
        row.put("added", added);
        row.put("addSeconds", Latency.round(addSeconds));
        row.put("ready", p.ready());
        row.put("restartToReadySeconds", Latency.round(p.readySeconds()));
        row.put("rssAfterReadyMb", mb(p.rssReadyKb()));
        row.put("peakRssAfterReadyMb", mb(p.peakReadyKb()));
        row.put("rssAfterLiveMb", mb(p.rssLiveKb()));
        row.put("peakRssMb", mb(p.peakKb()));
        row.put("heapCommittedAfterLiveMb", mb(p.heapCommittedLiveKb()));
        row.put("rssBeyondHeapAfterLiveMb", mb(p.rssBeyondHeapKb()));
        row.put("heap", heap);
        if (live != null) {
            row.put("liveEvents", live.events());
            row.put("liveRouted", live.routed());
            row.put("liveNotes", live.notes());
            row.put("liveSeconds", Latency.round(live.seconds()));
        }
        row.put("stateDirMb", Latency.round(stateBytes / 1048576.0));
        row.put("exitStatus", exit);
        if (p.failure() != null) {
            row.put("failure", p.failure());
        }
        report.row(row, p.requests(), p.results(), added, Latency.round(addSeconds),
                p.ready() ? Latency.round(p.readySeconds()) : "-", mb(p.rssReadyKb()), mb(p.rssLiveKb()), mb(p.peakKb()),
                live == null ? "-" : live.routed(), live == null ? "-" : live.notes(),
                live == null ? "-" : Latency.round(live.seconds()), Latency.round(stateBytes / 1048576.0), exit);
    }

    /**
     * The targets, at the first point (1 M by default) and between the first two (1 M to 2 M):
     * peak resident memory (VmHWM) of the restarted processor, its growth, restart to ready.
     */
    private static void judge(Report report, List<Long> points, Map<Long, Point> measured) {
        if (points.isEmpty()) {
            return;
        }
        long first = points.get(0);
        Point one = measured.get(first);
        boolean oneOk = one != null && one.ready() && one.failure() == null;
        bound(report, "processorRssMb", one == null ? -1 : mb(one.peakKb()), RSS_MAX_MB, oneOk, first,
                "peak resident memory (VmHWM, MB) of the processor restarted with " + first + " routed requests and "
                        + "as many results in history, through restore and a live slice (target <= " + (long) RSS_MAX_MB
                        + " MB)");
        bound(report, "restartToReadySeconds", one == null || !one.ready() ? -1 : one.readySeconds(),
                READY_MAX_SECONDS, one != null && one.ready(), first, "seconds from starting the processor JVM with "
                        + first + " requests in history to /health/ready 200 (target <= " + (long) READY_MAX_SECONDS
                        + " s)");
        if (points.size() > 1) {
            long second = points.get(1);
            Point two = measured.get(second);
            boolean twoOk = oneOk && two != null && two.ready() && two.failure() == null;
            double growth = twoOk ? (double) two.peakKb() / Math.max(1, one.peakKb()) : -1;
            bound(report, "rssGrowth1Mto2M", growth, GROWTH_MAX, twoOk, second,
                    "peak resident memory at " + second + " requests in history / at " + first + " (flat: target <= "
                            + GROWTH_MAX + ")");
            report.ratio("rssDifferenceMb1Mto2M", twoOk ? mb(two.peakKb()) - mb(one.peakKb()) : -1, null,
                    "peak resident memory at " + second + " minus at " + first + ", MB (informative)");
            boolean beyond = twoOk && one.rssBeyondHeapKb() > 0 && two.rssBeyondHeapKb() > 0;
            report.ratio("rssBeyondHeapGrowth1Mto2M",
                    beyond ? (double) two.rssBeyondHeapKb() / one.rssBeyondHeapKb() : -1, null,
                    "resident memory beyond the committed Java heap after the live slice, at " + second + " / at "
                            + first + " (informative: the part of the RSS the JVM's heap sizing does not move)");
        } else {
            report.note("one --requests point only: rssGrowth1Mto2M needs two");
        }
    }

    /** {@link Report#bound}, not met when the point failed; with the history size it was judged at. */
    private static void bound(Report report, String name, double value, double max, boolean measuredOk, long at,
            String meaning) {
        report.bound(name, value, max, meaning);
        ObjectNode r = (ObjectNode) report.json().path("ratios").path(name);
        r.put("met", r.path("met").asBoolean() && measuredOk && value >= 0);
        r.put("atRequests", at);
        if (!measuredOk) {
            r.put("failure", "not measured: the processor was not ready, or its live slice did not finish, at "
                    + "this point (see the rows)");
        }
    }

    private static long mb(long kb) {
        return kb < 0 ? -1 : kb / 1024;
    }

    private static String oomHint(ChildJvm processor) {
        String tail = processor.tailLines(200);
        return tail.contains("OutOfMemoryError") ? "; OutOfMemoryError in its log" : "";
    }
}
