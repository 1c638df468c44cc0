package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.kafka.BenchTriggers;
import dev.pdpipeline.bench.load.Payloads;
import dev.pdpipeline.bench.report.Machine;
import dev.pdpipeline.bench.report.Report;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A long run at a fixed rate with faults on a schedule: the processor (a JVM of its own) is
 * killed with SIGKILL and restarted every N seconds, the ingress (in this JVM) is restarted every
 * M seconds, deliveries that get no 202 are retried as PagerDuty would. At the end every
 * acknowledged event must have been routed (lost = 0) and none twice under read_committed
 * (duplicated = 0); memory is sampled along the way to show it stays flat. Run by hand, not in CI.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Fixed-rate run with processor SIGKILLs and ingress restarts on a schedule: lost, duplicated, memory over time.")
public final class SoakBench implements Callable<Integer> {

    private static final String AGENT = "soak-agent";

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--minutes", defaultValue = "10", description = "Length of the load (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--rate", defaultValue = "300", description = "Deliveries per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--kill-processor-every", defaultValue = "60",
            description = "Seconds between processor SIGKILLs (0 = never; default: ${DEFAULT-VALUE}).")
    int killEvery;

    @Option(names = "--restart-ingress-every", defaultValue = "150",
            description = "Seconds between ingress restarts (0 = never; default: ${DEFAULT-VALUE}).")
    int ingressEvery;

    @Option(names = "--sample-every", defaultValue = "15", description = "Seconds between memory samples (default: ${DEFAULT-VALUE}).")
    int sampleEvery;

    @Option(names = "--processor-heap", defaultValue = "256m", description = "-Xmx of the processor JVM (default: ${DEFAULT-VALUE}).")
    String processorHeap;

    @Option(names = "--connections", defaultValue = "64", description = "Most deliveries in flight (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--drain-seconds", defaultValue = "180",
            description = "How long to wait after the load for retries and routing to finish (default: ${DEFAULT-VALUE}).")
    int drainSeconds;

    private final Map<String, Integer> routed = new ConcurrentHashMap<>();
    private final Map<String, Boolean> acknowledged = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Pending> retries = new ConcurrentLinkedQueue<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong unanswered = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();

    /** A delivery waiting for its retry (PagerDuty retries what got no 2xx). */
    private record Pending(byte[] body, String signature, String webhookId, long dueNanos) {
    }

    @Override
    public Integer call() throws Exception {
        Report report = new Report("soak", List.of("t s", "sent", "acked", "routed", "backlog", "retried",
                "proc kills", "ingress restarts", "proc RSS MB", "proc peak MB", "heap MB"));
        ObjectNode params = report.parameters();
        params.put("minutes", minutes);
        params.put("rate", rate);
        params.put("killProcessorEverySeconds", killEvery);
        params.put("restartIngressEverySeconds", ingressEvery);
        params.put("processorHeap", processorHeap);
        params.put("processingGuarantee", "exactly_once_v2");
        params.put("rawPartitions", 3);
        params.put("payloadBytes", common.payloadBytes);
        Payloads payloads = new Payloads(common.seed, common.minBytes(), common.maxBytes());
        String secret = Harness.newSecret();
        Map<String, String> secrets = Map.of(BenchTriggers.SECRET_VAR + 1, secret);
        Path work = Harness.tempDir("bench-soak-");
        long processorKills = 0;
        long ingressRestarts = 0;
        long peakRssKb = 0;
        try (BenchKafka kafka = BenchKafka.start(common.bootstrap)) {
            Path triggers = BenchTriggers.write(work.resolve("triggers"), List.of(
                    new BenchTriggers.Spec("bench-soak", AGENT, 1, List.of("incident.triggered"), null)));
            String raw = kafka.unique("raw");
            kafka.createTopics(3, raw);
            String template = kafka.unique("agents") + ".{agent}";
            String agentTopic = template.replace("{agent}", AGENT);
            Map<String, String> env = Harness.processorEnv(kafka, triggers, secrets, raw, template,
                    work.resolve("state"), 100, 3);
            int port = Harness.freePort();
            Map<String, String> ingressEnv = new HashMap<>(secrets);
            ingressEnv.putAll(kafka.clientEnv());
            ingressEnv.put(IngressConfig.TRIGGERS_PATH, triggers.toString());
            ingressEnv.put(IngressConfig.INGRESS_HOST, "127.0.0.1");
            ingressEnv.put(IngressConfig.INGRESS_PORT, Integer.toString(port));
            ingressEnv.put(IngressConfig.MANAGEMENT_PORT, "0");
            ingressEnv.put(IngressConfig.READINESS_CHECK_INTERVAL_MS, "200");
            ingressEnv.put("RAW_TOPIC", raw);

            ProcessorChild processor = ProcessorChild.start(env, processorHeap, work.resolve("processor-1.log"));
            AtomicReference<IngressService> ingress = new AtomicReference<>(startIngress(ingressEnv));
            Thread restarter = null;
            Harness.await(() -> topicExists(kafka, agentTopic), Duration.ofSeconds(120), "the agent topic");
            AtomicBoolean reading = new AtomicBoolean(true);
            Thread reader = new Thread(() -> read(kafka, agentTopic, reading), "soak-reader");
            reader.start();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            URI uri = URI.create("http://127.0.0.1:" + port + Harness.WEBHOOK_PATH);
            Semaphore window = new Semaphore(connections);
            long start = System.nanoTime();
            long loadNanos = (long) (minutes * 60e9);
            long nextKill = killEvery > 0 ? start + TimeUnit.SECONDS.toNanos(killEvery) : Long.MAX_VALUE;
            long nextIngress = ingressEvery > 0 ? start + TimeUnit.SECONDS.toNanos(ingressEvery) : Long.MAX_VALUE;
            long nextSample = start;
            try {
                while (true) {
                    long now = System.nanoTime();
                    boolean loading = now - start < loadNanos;
                    if (loading) {
                        long due = (long) ((now - start) / 1e9 * rate) - sent.get();
                        for (long i = 0; i < due && window.tryAcquire(); i++) {
                            Payloads.Event e = payloads.next("incident.triggered", "P1");
                            sent.incrementAndGet();
                            send(http, uri, window, new Pending(e.body(), Payloads.sign(e.body(), secret),
                                    "W" + e.eventId(), 0));
                        }
                    }
                    for (Pending p = retries.peek(); p != null && p.dueNanos - now <= 0 && window.tryAcquire();
                            p = retries.peek()) {
                        retries.poll();
                        send(http, uri, window, p);
                    }
                    if (loading && now - nextKill >= 0) {
                        processor.kill();
                        processorKills++;
                        processor = ProcessorChild.start(env, processorHeap, work.resolve("processor-" + (processorKills + 1)
                                + ".log"));
                        nextKill += TimeUnit.SECONDS.toNanos(killEvery);
                    }
                    if (loading && now - nextIngress >= 0 && (restarter == null || !restarter.isAlive())) {
                        // on a thread of its own: the load goes on meanwhile and meets a closed port
                        restarter = new Thread(() -> {
                            ingress.get().close();
                            ingress.set(startIngress(ingressEnv));
                        }, "soak-ingress-restart");
                        restarter.start();
                        ingressRestarts++;
                        nextIngress += TimeUnit.SECONDS.toNanos(ingressEvery);
                    }
                    if (now - nextSample >= 0 || !loading && nextSample != Long.MAX_VALUE) {
                        long rss = Machine.processStatusKb(processor.process.pid(), "VmRSS:");
                        long peak = Machine.processStatusKb(processor.process.pid(), "VmHWM:");
                        peakRssKb = Math.max(peakRssKb, peak);
                        sample(report, (now - start) / 1e9, processorKills, ingressRestarts, rss, peak);
                        nextSample = loading ? nextSample + TimeUnit.SECONDS.toNanos(sampleEvery) : Long.MAX_VALUE;
                    }
                    if (!loading) {
                        boolean settled = retries.isEmpty() && window.availablePermits() == connections
                                && acknowledged.keySet().stream().allMatch(routed::containsKey);
                        if (settled || now - start - loadNanos > TimeUnit.SECONDS.toNanos(drainSeconds)) {
                            break;
                        }
                    }
                    Thread.sleep(5);
                }
                long rss = Machine.processStatusKb(processor.process.pid(), "VmRSS:");
                long peak = Machine.processStatusKb(processor.process.pid(), "VmHWM:");
                sample(report, (System.nanoTime() - start) / 1e9, processorKills, ingressRestarts, rss, peak);
            } finally {
                if (restarter != null) {
                    restarter.join(60_000);
                }
                ingress.get().close();
                processor.stop();
                reading.set(false);
                reader.join(10_000);
            }
        } finally {
            Harness.deleteQuietly(work);
        }
        long lost = acknowledged.keySet().stream().filter(id -> !routed.containsKey(id)).count();
        long duplicated = routed.values().stream().mapToLong(n -> n - 1L).sum();
        long routedNotAcked = routed.keySet().stream().filter(id -> !acknowledged.containsKey(id)).count();
        ObjectNode totals = params.putObject("totals");
        totals.put("sent", sent.get());
        totals.put("attempts", attempts.get());
        totals.put("acknowledged", acknowledged.size());
        totals.put("routed", routed.size());
        totals.put("lost", lost);
        totals.put("duplicated", duplicated);
        totals.put("unansweredAttempts", unanswered.get());
        totals.put("non202Attempts", refused.get());
        totals.put("routedWithoutAck", routedNotAcked);
        totals.put("processorKills", processorKills);
        totals.put("ingressRestarts", ingressRestarts);
        totals.put("processorPeakRssMb", peakRssKb / 1024);
        report.bound("lost", lost, 0, "acknowledged (202) deliveries never routed to the agent topic (must be 0)");
        report.bound("duplicated", duplicated, 0, "routed requests a read_committed consumer saw more than once (must be 0)");
        report.note(String.format("sent %d distinct deliveries in %d attempts; %d acknowledged, %d routed, %d lost, "
                        + "%d duplicated; %d attempts unanswered and %d answered non-202 were retried; %d processor "
                        + "SIGKILLs, %d ingress restarts", sent.get(), attempts.get(), acknowledged.size(), routed.size(),
                lost, duplicated, unanswered.get(), refused.get(), processorKills, ingressRestarts));
        report.note("proc RSS = VmRSS of the current processor JVM (a new one after each kill); heap = used heap of "
                + "this JVM (ingress, load generator; the broker too with --broker in-process)");
        report.finish(common.out, System.out);
        return lost == 0 && duplicated == 0 ? 0 : 1;
    }

    private void sample(Report report, double seconds, long kills, long ingressRestarts, long rssKb, long peakKb) {
        Runtime rt = Runtime.getRuntime();
        long heapMb = (rt.totalMemory() - rt.freeMemory()) / (1024 * 1024);
        long backlog = acknowledged.size() - routed.size();
        ObjectNode row = Json.mapper().createObjectNode();
        row.put("seconds", Math.round(seconds));
        row.put("sent", sent.get());
        row.put("acknowledged", acknowledged.size());
        row.put("routed", routed.size());
        row.put("backlog", backlog);
        row.put("retriesPending", retries.size());
        row.put("processorKills", kills);
        row.put("ingressRestarts", ingressRestarts);
        row.put("processorRssMb", rssKb / 1024); // 0: the JVM had just been started
        row.put("processorPeakRssMb", peakKb / 1024);
        row.put("heapUsedMb", heapMb);
        report.row(row, Math.round(seconds), sent.get(), acknowledged.size(), routed.size(), backlog,
                unanswered.get() + refused.get(), kills, ingressRestarts, rssKb == 0 ? "-" : rssKb / 1024,
                peakKb == 0 ? "-" : peakKb / 1024, heapMb);
    }

    private void send(HttpClient http, URI uri, Semaphore window, Pending p) {
        attempts.incrementAndGet();
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Webhook-Id", p.webhookId())
                .header("X-PagerDuty-Signature", p.signature())
                .POST(HttpRequest.BodyPublishers.ofByteArray(p.body()))
                .build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            window.release();
            if (error == null && response.statusCode() == 202) {
                acknowledged.put(p.webhookId(), Boolean.TRUE);
                return;
            }
            (error != null ? unanswered : refused).incrementAndGet();
            retries.add(new Pending(p.body(), p.signature(), p.webhookId(),
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(1)));
        });
    }

    private void read(BenchKafka kafka, String agentTopic, AtomicBoolean reading) {
        try (KafkaConsumer<byte[], byte[]> consumer = kafka.committedReader(List.of(agentTopic), false)) {
            while (reading.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    Header id = r.headers().lastHeader(PipelineHeaders.WEBHOOK_ID);
                    if (id != null) {
                        routed.merge(new String(id.value(), StandardCharsets.UTF_8), 1, Integer::sum);
                    }
                }
            }
        }
    }

    private static IngressService startIngress(Map<String, String> env) {
        IngressService ingress = IngressService.start(IngressConfig.fromEnv(env), new SimpleMeterRegistry());
        Harness.await(ingress::isReady, Duration.ofSeconds(60), "the ingress to become ready");
        return ingress;
    }

    private static boolean topicExists(BenchKafka kafka, String topic) {
        try {
            return kafka.admin().listTopics().names().get(10, TimeUnit.SECONDS).contains(topic);
        } catch (Exception e) {
            return false;
        }
    }

}
