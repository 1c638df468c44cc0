package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.report.Latency;
import dev.pdpipeline.bench.report.Report;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.console.ConsoleConfig;
import dev.pdpipeline.console.ConsoleService;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The console's index on real history: N deliveries (decisions records, one request-log record,
 * one result and one ledger record per routed delivery) are written to Kafka, then the console
 * starts and builds its index from the topics as it does in production. Measured: the build time,
 * the heap the index holds (after a full GC, against the heap before the console started), and
 * the latency of the incident page (HTML, over HTTP) for random incidents.
 */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = "Console index: build time, memory and incident-page p99 with N deliveries in history.")
public final class ConsoleBench implements Callable<Integer> {

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--deliveries", defaultValue = "100000", description = "Deliveries in history.")
    int deliveries;

    @Option(names = "--incidents", defaultValue = "20000", description = "Incidents they spread over.")
    int incidents;

    @Option(names = "--requests", defaultValue = "2000", description = "Incident pages requested.")
    int requests;

    @Option(names = "--timeout-seconds", defaultValue = "600", description = "Give up on the index build after this.")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        Report report = new Report("console", List.of("deliveries", "incidents", "build s", "index heap MB",
                "process heap MB", "page p50 ms", "page p99 ms", "page max ms"));
        ObjectNode params = report.parameters();
        params.put("deliveries", deliveries);
        params.put("incidents", incidents);
        params.put("requests", requests);
        try (BenchKafka kafka = BenchKafka.start(common.bootstrap)) {
            Map<String, String> env = new HashMap<>(kafka.clientEnv());
            for (String[] t : new String[][] {{"DECISIONS_TOPIC", "decisions"}, {"REQUEST_LOG_TOPIC", "requests"},
                {"RESULTS_TOPIC", "results"}, {"RESULTS_LEDGER_TOPIC", "ledger"}, {"DLQ_TOPIC", "dlq"},
                {"RESULTS_DLQ_TOPIC", "results-dlq"}}) {
                env.put(t[0], kafka.unique(t[1]));
            }
            env.put(ConsoleConfig.CONSOLE_PORT, "0");
            env.put(ConsoleConfig.CONSOLE_MAX_DELIVERIES, Integer.toString(Math.max(deliveries, 1)));
            env.put(ConsoleConfig.CONSOLE_MAX_INCIDENTS, Integer.toString(Math.max(incidents, 1)));
            kafka.createTopics(3, env.get("DECISIONS_TOPIC"), env.get("REQUEST_LOG_TOPIC"), env.get("RESULTS_TOPIC"),
                    env.get("RESULTS_LEDGER_TOPIC"), env.get("DLQ_TOPIC"), env.get("RESULTS_DLQ_TOPIC"));
            preload(kafka, env);
            long heapBefore = usedHeapAfterGc();
            long start = System.nanoTime();
            try (ConsoleService console = ConsoleService.start(ConsoleConfig.fromEnv(env), null, null)) {
                if (!console.awaitCaughtUp(Duration.ofSeconds(timeoutSeconds))) {
                    report.note("INCOMPLETE: the index did not catch up within " + timeoutSeconds + " s");
                }
                double buildSeconds = (System.nanoTime() - start) / 1e9;
                long heapWith = usedHeapAfterGc();
                double indexMb = (heapWith - heapBefore) / 1048576.0;
                double processMb = heapWith / 1048576.0;
                Histogram pages = Latency.newHistogram();
                HttpClient http = HttpClient.newHttpClient();
                Random random = new Random(common.seed);
                for (int i = 0; i < requests + 200; i++) {
                    String id = "QBENCH" + random.nextInt(incidents);
                    long t0 = System.nanoTime();
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + console.port() + "/incidents/" + id)).build(), HttpResponse.BodyHandlers.ofByteArray());
                    long micros = (System.nanoTime() - t0) / 1000;
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("incident page " + id + " answered " + r.statusCode());
                    }
                    if (i >= 200) { // the first 200 warm the JIT up
                        pages.recordValue(Math.min(micros, Latency.HIGHEST_MICROS));
                    }
                }
                ObjectNode row = Json.mapper().createObjectNode();
                row.put("deliveries", console.index().stats().get("deliveries"));
                row.put("incidents", console.index().stats().get("incidents"));
                row.put("buildSeconds", Latency.round(buildSeconds));
                row.put("indexHeapMb", Latency.round(indexMb));
                row.put("processHeapMb", Latency.round(processMb));
                row.set("incidentPage", Latency.summary(pages));
                report.row(row, console.index().stats().get("deliveries"), console.index().stats().get("incidents"),
                        buildSeconds, indexMb, processMb, Latency.ms(pages, 50), Latency.ms(pages, 99),
                        Latency.maxMs(pages));
                report.bound("incidentPageP99Ms", Latency.ms(pages, 99), 300, "incident page p99 (target < 300 ms)");
                report.bound("processHeapMb", processMb, 512,
                        "heap in use after a full GC, console + this harness" + (kafka.isEmbedded()
                                ? " + the in-process broker" : "") + " (target < 512 MB)");
            }
        }
        report.note("the broker runs in a JVM of its own unless --broker in-process (then the process heap includes"
                + " it); the index heap is the difference the console made");
        report.finish(common.out, System.out);
        return 0;
    }

    private void preload(BenchKafka kafka, Map<String, String> env) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        Random random = new Random(common.seed);
        Instant t = Instant.now().minus(Duration.ofDays(7));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < deliveries; i++) {
                String incident = "QBENCH" + (i % incidents);
                String at = t.plusMillis(i * 6000L).toString();
                boolean routed = random.nextInt(3) != 0;
                String eventId = "evt-" + i;
                String requestId = "req-" + i;
                String decision = "{\"schema_version\":1,\"event_id\":\"" + eventId + "\",\"event_type\":\"incident.triggered\","
                        + "\"occurred_at\":\"" + at + "\",\"received_at\":\"" + at + "\",\"decided_at\":\"" + at + "\","
                        + "\"incident\":{\"id\":\"" + incident + "\",\"number\":" + (i % incidents) + ",\"title\":\"Checkout"
                        + " latency above SLO on shard " + (i % 97) + "\",\"html_url\":\"https://example.pagerduty.com/incidents/"
                        + incident + "\",\"service_id\":\"PSVC" + (i % 20) + "\",\"service_name\":\"service-" + (i % 20)
                        + "\",\"urgency\":\"high\",\"priority\":\"P" + (1 + i % 4) + "\"},\"webhook_id\":\"wh-" + i + "\","
                        + "\"source\":{\"topic\":\"pagerduty.webhooks.raw\",\"partition\":" + (i % 3) + ",\"offset\":" + i + "},"
                        + "\"outcome\":\"" + (routed ? "routed" : "not_routed") + "\",\"triggers\":["
                        + (routed ? "{\"trigger\":\"diagnose\",\"decision\":\"routed\",\"reason\":\"every filter passed\","
                                + "\"target\":{\"kind\":\"agent\",\"name\":\"diagnostic-agent\"},\"topic\":"
                                + "\"agent.diagnostic-agent.requests\",\"request_id\":\"" + requestId + "\"}"
                                : "{\"trigger\":\"diagnose\",\"decision\":\"rejected\",\"field\":\"min_priority\","
                                + "\"reason\":\"priority P4 is below min_priority P2\"}")
                        + ",{\"trigger\":\"cleanup\",\"decision\":\"rejected\",\"field\":\"event_types\",\"reason\":"
                        + "\"event type incident.triggered is not in event_types [incident.resolved]\"}]}";
                send(producer, env.get("DECISIONS_TOPIC"), incident, decision);
                if (routed) {
                    send(producer, env.get("REQUEST_LOG_TOPIC"), requestId, "{\"request_id\":\"" + requestId
                            + "\",\"trigger\":\"diagnose\",\"agent\":\"diagnostic-agent\",\"incident_id\":\"" + incident
                            + "\",\"event_id\":\"" + eventId + "\",\"replay\":false,\"write_back\":true,\"routed_at\":\"" + at + "\"}");
                    send(producer, env.get("RESULTS_TOPIC"), incident, "{\"request_id\":\"" + requestId
                            + "\",\"incident_id\":\"" + incident + "\",\"agent\":\"diagnostic-agent\",\"result_id\":\"res-" + i
                            + "\",\"note\":\"**Example diagnosis** for incident " + incident + ": disk full on db-" + (i % 9)
                            + ". Cleaned /var/log; monitoring.\"}");
                    send(producer, env.get("RESULTS_LEDGER_TOPIC"), "res-" + i, "{\"state\":\"done\",\"result_id\":\"res-" + i
                            + "\",\"request_id\":\"" + requestId + "\",\"incident_id\":\"" + incident + "\",\"agent\":"
                            + "\"diagnostic-agent\",\"note_ids\":[\"PN" + i + "\"],\"at\":\"" + at + "\"}");
                }
            }
            producer.flush();
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, String value) {
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8)));
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
