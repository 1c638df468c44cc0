package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.report.Latency;
import dev.pdpipeline.bench.report.Report;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import dev.pdpipeline.processor.notes.NotesConfig;
import dev.pdpipeline.processor.notes.NotesWriter;
import dev.pdpipeline.processor.notes.RequestLogRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The notes writer's results per second against a fake PagerDuty (processor's test fixture): once
 * with no limit on either side, once with PagerDuty's 960 calls/min per token enforced by the fake
 * and configured in the writer, where it must hold the limit without a 429 once warmed up.
 */
@Command(name = "notes", mixinStandardHelpOptions = true,
        description = "Notes writer results/s against a fake PagerDuty, unlimited and at the 960/min limit.")
public final class NotesBench implements Callable<Integer> {

    private static final String TOKEN = "u+bench-token";
    private static final String TRIGGER = "bench-notes";
    private static final String AGENT = "bench-agent";

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--results", defaultValue = "2000", description = "Results written in the unlimited run.")
    int results;

    @Option(names = "--limited-seconds", defaultValue = "30",
            description = "Length of the limited run: limit/60 x this many results are written.")
    double limitedSeconds;

    @Option(names = "--limit-per-minute", defaultValue = "960", description = "PagerDuty's calls/min per token.")
    int limitPerMinute;

    @Option(names = "--incidents", defaultValue = "100", description = "Incidents the results spread over.")
    int incidents;

    @Option(names = "--warmup-seconds", defaultValue = "5", description = "429s in this first part are reported apart.")
    double warmupSeconds;

    @Option(names = "--timeout-seconds", defaultValue = "300", description = "Give up on a run after this.")
    long timeoutSeconds;

    @Override
    public Integer call() {
        Report report = new Report("notes", List.of("run", "results", "written", "seconds", "results/s", "calls/s",
                "calls/result", "429s", "429s after warm-up"));
        ObjectNode params = report.parameters();
        params.put("results", results);
        params.put("limitPerMinute", limitPerMinute);
        params.put("limitedSeconds", limitedSeconds);
        params.put("incidents", incidents);
        params.put("warmupSeconds", warmupSeconds);
        params.put("fake", "dev.pdpipeline.processor.fakepd.FakePagerDuty (processor test-jar), JDK HttpServer");
        Path work = Harness.tempDir("bench-notes-");
        try (BenchKafka kafka = BenchKafka.start(common.bootstrap)) {
            Run unlimited = run(kafka, work.resolve("unlimited"), "unlimited", results, 0);
            row(report, unlimited);
            int limitedResults = (int) Math.max(1, Math.round(limitPerMinute / 60.0 * limitedSeconds));
            Run limited = run(kafka, work.resolve("limited"), "limited " + limitPerMinute + "/min", limitedResults,
                    limitPerMinute);
            row(report, limited);
            double callsPerSecondLimit = limitPerMinute / 60.0;
            report.ratio("limitedCallsVsLimit", limited.callsPerSecond() / callsPerSecondLimit, null,
                    "PagerDuty calls/s in the limited run / the limit (" + callsPerSecondLimit + "/s); ~1 = holds it");
            report.bound("rateLimited429AfterWarmup", limited.late429(), 0,
                    "429 answers after the first " + warmupSeconds + " s of the limited run (target 0)");
            if (!unlimited.complete() || !limited.complete()) {
                report.note("INCOMPLETE: not every result was written within the timeout");
            }
        } finally {
            Harness.deleteQuietly(work);
        }
        report.note("results/s = results written / seconds from the first note to the last; calls include the "
                + "writer's reads (it checks an incident's notes before writing, so a result is never written twice)");
        report.finish(common.out, System.out);
        return 0;
    }

    record Run(String name, int results, int written, double seconds, int calls, int all429, int late429,
            boolean complete) {
        double resultsPerSecond() {
            return written / Math.max(1e-3, seconds);
        }

        double callsPerSecond() {
            return calls / Math.max(1e-3, seconds);
        }
    }

    private Run run(BenchKafka kafka, Path dir, String name, int count, int limit) {
        TopicCatalogue topics = new TopicCatalogue(kafka.unique("raw"), kafka.unique("dlq"),
                kafka.unique("agents") + ".{agent}", kafka.unique("results"), kafka.unique("results-dlq"),
                kafka.unique("requests"), kafka.unique("ledger"));
        String[] ids = new String[incidents];
        for (int i = 0; i < incidents; i++) {
            ids[i] = "QBENCH" + i;
        }
        try (FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents(ids)) {
            if (limit > 0) {
                fake.enforceRateLimit(limit, Duration.ofMinutes(1));
            }
            Map<String, String> env = new HashMap<>();
            env.put("BENCH_API_TOKEN", TOKEN);
            env.put(NotesConfig.PAGERDUTY_API_URL, fake.url().toString());
            env.put(NotesConfig.PAGERDUTY_RATE_LIMIT_PER_MINUTE, Integer.toString(limit > 0 ? limit : 1_000_000));
            env.put(NotesConfig.NOTES_UNKNOWN_REQUEST_GRACE_MS, "1000");
            TriggerSet triggers = triggers(dir, env);
            Properties client = new Properties();
            client.put("bootstrap.servers", kafka.bootstrapServers());
            kafka.admin(); // topics are ensured by the writer; the producer needs them first
            dev.pdpipeline.common.kafka.TopicAdmin.ensureTopics(kafka.admin(),
                    NotesWriter.topicsToEnsure(topics, 3, (short) 1), Duration.ofSeconds(60));
            preload(kafka, topics, count, ids);
            long start = System.nanoTime();
            long first = 0;
            long last = 0;
            int written = 0;
            long deadline = start + Duration.ofSeconds(timeoutSeconds).toNanos();
            try (NotesWriter writer = NotesWriter.start(NotesConfig.fromEnv(env), topics, client,
                    kafka.unique("notes-app"), () -> triggers, new SimpleMeterRegistry(),
                    new dev.pdpipeline.common.health.Health())) {
                while (written < count && System.nanoTime() < deadline) {
                    int now = fake.allNotes().values().stream().mapToInt(List::size).sum();
                    if (now > written) {
                        last = System.nanoTime();
                        if (written == 0) {
                            first = last;
                        }
                        written = now;
                    }
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<FakePagerDuty.Request> requests = fake.requests();
            long firstCall = requests.stream().mapToLong(FakePagerDuty.Request::atNanos).min().orElse(start);
            long warm = firstCall + (long) (warmupSeconds * 1e9);
            int all429 = (int) requests.stream().filter(r -> r.status() == 429).count();
            int late429 = (int) requests.stream().filter(r -> r.status() == 429 && r.atNanos() > warm).count();
            long from = first;
            long to = last;
            int calls = (int) requests.stream().filter(r -> r.atNanos() >= from && r.atNanos() <= to).count();
            return new Run(name, count, written, (last - first) / 1e9, calls, all429, late429, written >= count);
        }
    }

    private static TriggerSet triggers(Path dir, Map<String, String> env) {
        String yaml = "apiVersion: aof.sh/v1\nkind: Trigger\nmetadata:\n  name: " + TRIGGER + "\nspec:\n  platform:\n"
                + "    type: pagerduty\n    config:\n      webhook_secret: bench-notes-secret\n"
                + "      api_token: ${BENCH_API_TOKEN}\n      from_email: bench-bot@example.com\n"
                + "      bot_name: bench-bot\n      event_types:\n        - incident.triggered\n"
                + "  agent: " + AGENT + "\n  enabled: true\n";
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("triggers.yaml"), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TriggerLoader(env).load(dir);
    }

    /** The request log (which trigger made each request) and the agents' results. */
    private static void preload(BenchKafka kafka, TopicCatalogue topics, int count, String[] incidents) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        String text = "Diagnosis: p99 latency of checkout-api rose after deploy 2024-06-01.3; the payment gateway "
                + "answers in 2.1 s (usually 120 ms). Rolled back the canary; error rate back to 0.2%. Next: check "
                + "the connection pool limits of the gateway client.";
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            Instant now = Instant.now();
            for (int i = 0; i < count; i++) {
                String requestId = "req-" + i + "-" + topics.results();
                String incident = incidents[i % incidents.length];
                producer.send(new ProducerRecord<>(topics.requestLog(), RequestLogRecord.key(requestId),
                        RequestLogRecord.toJson(requestId, TRIGGER, AGENT, incident, "ev-" + i, false, true, now)));
            }
            producer.flush();
            for (int i = 0; i < count; i++) {
                String requestId = "req-" + i + "-" + topics.results();
                String incident = incidents[i % incidents.length];
                ObjectNode result = Json.mapper().createObjectNode();
                result.put("request_id", requestId);
                result.put("incident_id", incident);
                result.put("agent", AGENT);
                result.put("note", text + " (" + i + ")");
                producer.send(new ProducerRecord<>(topics.results(), utf8(incident),
                        Json.mapper().writeValueAsBytes(result)));
            }
            producer.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void row(Report report, Run r) {
        ObjectNode row = Json.mapper().createObjectNode();
        row.put("run", r.name());
        row.put("results", r.results());
        row.put("written", r.written());
        row.put("complete", r.complete());
        row.put("seconds", Latency.round(r.seconds()));
        row.put("resultsPerSecond", Latency.round(r.resultsPerSecond()));
        row.put("callsPerSecond", Latency.round(r.callsPerSecond()));
        row.put("callsPerResult", Latency.round((double) r.calls() / Math.max(1, r.written())));
        row.put("rateLimited429", r.all429());
        row.put("rateLimited429AfterWarmup", r.late429());
        report.row(row, r.name(), r.results(), r.written(), Latency.round(r.seconds()),
                Latency.round(r.resultsPerSecond()), Latency.round(r.callsPerSecond()),
                Latency.round((double) r.calls() / Math.max(1, r.written())), r.all429(), r.late429());
    }
}
