package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.kafka.BenchTriggers;
import dev.pdpipeline.bench.kafka.OutputCounter;
import dev.pdpipeline.bench.kafka.RawMix;
import dev.pdpipeline.bench.load.Payloads;
import dev.pdpipeline.bench.report.Latency;
import dev.pdpipeline.bench.report.Machine;
import dev.pdpipeline.bench.report.Report;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The processor benchmark with 1, then 2, instances on 6 partitions, each instance a JVM of its
 * own (so its resident memory is its own), plus the dedup store's size on disk after the run.
 */
@Command(name = "scaleout", mixinStandardHelpOptions = true,
        description = "Processor throughput with 1 and 2 instances (separate JVMs), RSS per instance, dedup store size.")
public final class ScaleOutBench implements Callable<Integer> {

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--events", defaultValue = "20000", description = "Raw records to preload (default: ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--partitions", defaultValue = "6", description = "Partitions of the raw topic.")
    int partitions;

    @Option(names = "--instances", split = ",", defaultValue = "1,2", description = "Instance counts to run.")
    List<Integer> instances;

    @Option(names = "--commit-interval-ms", defaultValue = "100", description = "COMMIT_INTERVAL_MS.")
    long commitIntervalMs;

    @Option(names = "--instance-heap", defaultValue = "512m", description = "-Xmx of each instance JVM.")
    String heap;

    @Option(names = "--timeout-seconds", defaultValue = "900", description = "Give up on a run after this.")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        Report report = new Report("scaleout", List.of("instances", "records", "routed", "total s", "steady s",
                "records/s (total)", "records/s (steady)", "rss MiB per instance", "peak rss MiB", "state MiB"));
        ObjectNode params = report.parameters();
        params.put("events", events);
        params.put("partitions", partitions);
        params.put("commitIntervalMs", commitIntervalMs);
        params.put("instanceHeap", heap);
        params.put("instancesAre", "separate JVMs (dev.pdpipeline.bench.scenario.ProcessorInstance)");
        params.put("payloadBytes", common.payloadBytes);
        List<String> secrets = List.of(Harness.newSecret(), Harness.newSecret(), Harness.newSecret());
        Path work = Harness.tempDir("bench-scaleout-");
        Map<Integer, Double> steady = new LinkedHashMap<>();
        try (BenchKafka kafka = BenchKafka.start(common.bootstrap)) {
            String raw = kafka.unique("raw");
            kafka.createTopics(partitions, raw);
            RawMix.Written written = RawMix.write(kafka.bootstrapServers(), raw, events, 0.2, 0.05, secrets,
                    new Payloads(common.seed, common.minBytes(), common.maxBytes()), common.seed);
            report.json().set("preloaded", Json.mapper().valueToTree(written));
            Path triggers = BenchTriggers.write(work.resolve("triggers"), RawMix.TRIGGERS);
            for (int n : instances) {
                String template = kafka.unique("agents") + ".{agent}";
                Map<String, String> base = Harness.processorEnv(kafka, triggers, RawMix.secretsEnv(secrets), raw,
                        template, work.resolve("unused"), commitIntervalMs, partitions);
                List<ProcessorChild> running = new ArrayList<>();
                long start = System.nanoTime();
                OutputCounter.Seen seen;
                long[] rss = new long[n];
                long[] peak = new long[n];
                try {
                    for (int i = 0; i < n; i++) {
                        Map<String, String> env = new LinkedHashMap<>(base);
                        env.put("STATE_DIR", work.resolve("state-" + n + "-" + i).toString());
                        running.add(ProcessorChild.start(env, heap, work.resolve("instance-" + n + "-" + i + ".log")));
                    }
                    List<String> agentTopics = awaitTopics(kafka, template);
                    seen = OutputCounter.await(kafka, agentTopics, written.routable(), Duration.ofSeconds(timeoutSeconds));
                    for (int i = 0; i < n; i++) {
                        rss[i] = Machine.processStatusKb(running.get(i).process.pid(), "VmRSS:");
                        peak[i] = Machine.processStatusKb(running.get(i).process.pid(), "VmHWM:");
                    }
                } finally {
                    for (ProcessorChild instance : running) {
                        instance.stop();
                    }
                }
                long state = 0;
                for (int i = 0; i < n; i++) {
                    state += Machine.directorySize(work.resolve("state-" + n + "-" + i));
                }
                double total = events / seen.totalSeconds(start);
                double steadyRate = events / Math.max(1e-3, seen.steadySeconds());
                steady.put(n, steadyRate);
                ObjectNode row = Json.mapper().createObjectNode();
                row.put("instances", n);
                row.put("records", events);
                row.put("routed", seen.count());
                row.put("expectedRouted", written.routable());
                row.put("complete", seen.complete());
                row.put("totalSeconds", Latency.round(seen.totalSeconds(start)));
                row.put("steadySeconds", Latency.round(seen.steadySeconds()));
                row.put("recordsPerSecondTotal", Latency.round(total));
                row.put("recordsPerSecondSteady", Latency.round(steadyRate));
                ArrayNode rssArray = row.putArray("rssKb");
                ArrayNode peakArray = row.putArray("peakRssKb");
                for (int i = 0; i < n; i++) {
                    rssArray.add(rss[i]);
                    peakArray.add(peak[i]);
                }
                row.put("stateDirBytes", state);
                row.put("stateBytesPerDistinctEvent", Latency.round((double) state / written.distinct()));
                StringBuilder rssText = new StringBuilder();
                StringBuilder peakText = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    rssText.append(i == 0 ? "" : "/").append(rss[i] / 1024);
                    peakText.append(i == 0 ? "" : "/").append(peak[i] / 1024);
                }
                report.row(row, n, events, seen.count(), Latency.round(seen.totalSeconds(start)),
                        Latency.round(seen.steadySeconds()), Math.round(total), Math.round(steadyRate), rssText,
                        peakText, Latency.round(state / 1048576.0));
                if (n == 1 || !report.json().has("dedupStoreBytesAfterRun")) {
                    report.json().put("dedupStoreBytesAfterInstances", n);
                    report.json().put("dedupStoreBytesAfterRun", state);
                    report.json().put("dedupStoreBytesPerMillionDistinctEvents",
                            Math.round((double) state / written.distinct() * 1_000_000));
                }
                if (!seen.complete()) {
                    report.note("INCOMPLETE with " + n + " instance(s): " + seen.count() + " of "
                            + written.routable() + " routed within the timeout");
                }
            }
        } finally {
            Harness.deleteQuietly(work);
        }
        if (steady.containsKey(1) && steady.containsKey(2)) {
            report.ratio("twoInstancesVsOne", steady.get(2) / steady.get(1), 1.6,
                    "records/s with 2 instances / with 1 (target >= 1.6); on a 2-core machine both instances and "
                            + "the broker share the same 2 cores");
        }
        report.note("state MiB = the instances' STATE_DIR (RocksDB dedup store + checkpoints) after a clean stop; "
                + "per-million figure extrapolated linearly from this run's distinct events");
        report.finish(common.out, System.out);
        return 0;
    }

    /** The agent topics exist once an instance has loaded its triggers. */
    private static List<String> awaitTopics(BenchKafka kafka, String template) {
        List<String> topics = RawMix.AGENTS.stream().map(a -> template.replace("{agent}", a)).toList();
        Harness.await(() -> {
            try {
                return kafka.admin().listTopics().names().get(5, TimeUnit.SECONDS).containsAll(topics);
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(120), "the agent topics");
        return topics;
    }

}
