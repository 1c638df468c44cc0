package dev.pdpipeline.bench.scenario;

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
import dev.pdpipeline.processor.ProcessorService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Processor throughput on a preloaded raw topic, beside its limit measured in the same run: a
 * Kafka Streams application that only copies the raw topic to one output topic, with the same
 * guarantee (exactly_once_v2) and commit interval.
 */
@Command(name = "processor", mixinStandardHelpOptions = true,
        description = "Time to route N preloaded raw events vs a Kafka Streams app that only copies them.")
public final class ProcessorBench implements Callable<Integer> {

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--events", defaultValue = "200000",
            description = "Raw records to preload (default: ${DEFAULT-VALUE}; the target is judged on at least 200,000).")
    int events;

    @Option(names = "--partitions", defaultValue = "6", description = "Partitions of the raw and output topics.")
    int partitions;

    @Option(names = "--commit-interval-ms", defaultValue = "100", description = "COMMIT_INTERVAL_MS of both apps.")
    long commitIntervalMs;

    @Option(names = "--filtered", defaultValue = "0.2", description = "Share of events no trigger accepts.")
    double filteredShare;

    @Option(names = "--duplicates", defaultValue = "0.05", description = "Share of redeliveries.")
    double duplicateShare;

    @Option(names = "--timeout-seconds", defaultValue = "600", description = "Give up on a run after this.")
    long timeoutSeconds;

    @Override
    public Integer call() {
        Report report = new Report("processor", List.of("app", "records", "outputs", "total s", "steady s",
                "records/s (total)", "records/s (steady)", "state MiB", "rss MiB", "broker rss MiB"));
        ObjectNode params = report.parameters();
        params.put("events", events);
        params.put("partitions", partitions);
        params.put("commitIntervalMs", commitIntervalMs);
        params.put("processingGuarantee", "exactly_once_v2");
        params.put("streamThreads", 1);
        params.put("filteredShare", filteredShare);
        params.put("duplicateShare", duplicateShare);
        params.put("payloadBytes", common.payloadBytes);
        List<String> secrets = List.of(Harness.newSecret(), Harness.newSecret(), Harness.newSecret());
        Path work = Harness.tempDir("bench-processor-");
        try (BenchKafka kafka = common.kafka()) {
            params.put("broker", kafka.describe());
            String raw = kafka.unique("raw");
            kafka.createTopics(partitions, raw);
            RawMix.Written written = RawMix.write(kafka.bootstrapServers(), raw, events, filteredShare, duplicateShare,
                    secrets, new Payloads(common.seed, common.minBytes(), common.maxBytes()), common.seed);
            report.json().set("preloaded", Json.mapper().valueToTree(written));

            Result copy = copyApp(kafka, raw, work.resolve("copy-state"), false);
            row(report, "copy (limit)", copy);
            Result tunedCopy = copyApp(kafka, raw, work.resolve("tuned-copy-state"), true);
            row(report, "copy, tuned", tunedCopy);

            Path triggers = BenchTriggers.write(work.resolve("triggers"), RawMix.TRIGGERS);
            String template = kafka.unique("agents") + ".{agent}";
            Path state = work.resolve("processor-state");
            Map<String, String> env = Harness.processorEnv(kafka, triggers, RawMix.secretsEnv(secrets), raw, template,
                    state, commitIntervalMs, partitions);
            long start = System.nanoTime();
            OutputCounter.Seen seen;
            long rss;
            try (ProcessorService processor = Harness.startProcessor(env)) {
                List<String> agentTopics = RawMix.AGENTS.stream().map(a -> template.replace("{agent}", a)).toList();
                seen = OutputCounter.await(kafka, agentTopics, written.routable(), Duration.ofSeconds(timeoutSeconds));
                rss = Machine.selfRssKb();
            }
            Result routed = new Result(events, seen, start, Machine.directorySize(state), rss, kafka.brokerRssKb());
            row(report, "processor", routed);

            report.ratio("processorVsCopy", routed.steadyRate() / copy.steadyRate(), 0.7,
                    "processor records/s / exactly-once copy app's, first to last output (target >= 0.7, judged on"
                            + " at least 200,000 records)");
            report.ratio("processorVsTunedCopy", routed.steadyRate() / tunedCopy.steadyRate(), null,
                    "processor records/s / the copy app's with the processor's producer tuning (batch.size, linger.ms,"
                            + " retry.backoff.ms), first to last output (informative: the copy app at its best)");
            report.ratio("processorVsCopyTotal", routed.totalRate() / copy.totalRate(), null,
                    "the same from start() to the last output, start-up included");
            if (events < 200_000) {
                report.note("only " + events + " records: the processorVsCopy target is judged on at least 200,000");
            }
            if (!seen.complete() || !copy.seen().complete()) {
                report.note("INCOMPLETE: an app did not produce every expected output within the timeout");
            }
        } finally {
            Harness.deleteQuietly(work);
        }
        report.note("records/s counts raw records read (" + events + "), not outputs; steady = first to last "
                + "output visible to a read_committed consumer, total = from start() to the last");
        report.finish(common.out, System.out);
        return 0;
    }

    /**
     * The copy app: Kafka Streams' defaults (the limit), or {@code tuned} with the
     * processor's own producer defaults, to show the limit at its best too.
     */
    private Result copyApp(BenchKafka kafka, String raw, Path state, boolean tuned) {
        String out = kafka.unique("copy");
        kafka.createTopics(partitions, out);
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(raw, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .to(out, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, kafka.unique("copy-app"));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        props.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        if (tuned) {
            props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), ProcessorService.PRODUCER_BATCH_SIZE);
            props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), ProcessorService.PRODUCER_LINGER_MS);
            props.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG),
                    ProcessorService.PRODUCER_RETRY_BACKOFF_MS);
        }
        long start = System.nanoTime();
        OutputCounter.Seen seen;
        long rss;
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.start();
            seen = OutputCounter.await(kafka, List.of(out), events, Duration.ofSeconds(timeoutSeconds));
            rss = Machine.selfRssKb();
            streams.close(Duration.ofSeconds(30));
        }
        return new Result(events, seen, start, Machine.directorySize(state), rss, kafka.brokerRssKb());
    }

    /** One app's run. */
    record Result(int records, OutputCounter.Seen seen, long startNanos, long stateBytes, long rssKb,
            long brokerRssKb) {
        double totalRate() {
            return records / seen.totalSeconds(startNanos);
        }

        double steadyRate() {
            return records / Math.max(1e-3, seen.steadySeconds());
        }
    }

    private static void row(Report report, String app, Result r) {
        ObjectNode row = Json.mapper().createObjectNode();
        row.put("app", app);
        row.put("records", r.records());
        row.put("outputs", r.seen().count());
        row.put("complete", r.seen().complete());
        row.put("totalSeconds", Latency.round(r.seen().totalSeconds(r.startNanos())));
        row.put("steadySeconds", Latency.round(r.seen().steadySeconds()));
        row.put("recordsPerSecondTotal", Latency.round(r.totalRate()));
        row.put("recordsPerSecondSteady", Latency.round(r.steadyRate()));
        row.put("stateDirBytes", r.stateBytes());
        row.put("jvmRssKb", r.rssKb());
        row.put("brokerRssKb", r.brokerRssKb());
        report.row(row, app, r.records(), r.seen().count(), Latency.round(r.seen().totalSeconds(r.startNanos())),
                Latency.round(r.seen().steadySeconds()), Math.round(r.totalRate()), Math.round(r.steadyRate()),
                Latency.round(r.stateBytes() / 1048576.0), r.rssKb() / 1024,
                r.brokerRssKb() < 0 ? "-" : Long.toString(r.brokerRssKb() / 1024));
    }
}
