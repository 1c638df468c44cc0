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
import dev.pdpipeline.common.trigger.SecretFingerprint;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
import dev.pdpipeline.ingress.publish.KafkaWebhookPublisher;
import dev.pdpipeline.ingress.publish.RawDelivery;
import io.javalin.Javalin;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Ingress throughput and latency, beside its two limits measured with the same generator in the
 * same run: the same Javalin server answering 202 without verifying or publishing, and the Kafka
 * producer alone publishing the same payloads with the ingress's own producer settings.
 */
@Command(name = "ingress", mixinStandardHelpOptions = true,
        description = "Max sustainable rate and latency of the ingress vs a no-op server and the bare producer.")
public final class IngressBench implements Callable<Integer> {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(IngressBench.class);

    static final String NOOP = "noop-server";
    static final String INGRESS = "ingress";
    static final String PRODUCER = "producer-only";

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--rates", split = ",", defaultValue = "500,1000",
            description = "Fixed rates (events/s) to report latency at, for every subject (default: ${DEFAULT-VALUE}).")
    List<Double> rates;

    @Option(names = "--seconds", defaultValue = "5", description = "Length of each fixed-rate run.")
    double seconds;

    @Option(names = "--step-seconds", defaultValue = "3", description = "Length of each step of the rate search.")
    double stepSeconds;

    @Option(names = "--start-rate", defaultValue = "500", description = "First rate of the search; doubled per step.")
    double startRate;

    @Option(names = "--max-rate", defaultValue = "40000", description = "The search stops here.")
    double maxRate;

    @Option(names = "--refine", defaultValue = "2", description = "Bisection steps after the doubling.")
    int refine;

    @Option(names = "--p99-bound-ms", defaultValue = "50", description = "Sustainable means p99 at most this.")
    double p99BoundMs;

    @Option(names = "--connections", defaultValue = "64", description = "Most requests (connections) in flight.")
    int connections;

    @Option(names = "--jdk-client", description = "Use java.net.http.HttpClient instead of the minimal pooled client.")
    boolean jdkClient;

    @Option(names = "--warmup-seconds", defaultValue = "5", description = "Warm-up per subject (JIT), not reported.")
    double warmupSeconds;

    @Option(names = "--subjects", split = ",", defaultValue = NOOP + "," + INGRESS + "," + PRODUCER,
            description = "Which subjects to measure (default: ${DEFAULT-VALUE}).")
    List<String> subjects;

    private Payloads payloads;
    private String secret;

    @Override
    public Integer call() {
        Report report = new Report("ingress", List.of("subject", "phase", "rate/s", "achieved/s", "ok", "failed",
                "p50 ms", "p99 ms", "p99.9 ms", "max ms", "client us/req", "client cores", "process cores"));
        ObjectNode params = report.parameters();
        params.put("fixedRates", rates.toString());
        params.put("fixedSeconds", seconds);
        params.put("stepSeconds", stepSeconds);
        params.put("startRate", startRate);
        params.put("p99BoundMs", p99BoundMs);
        params.put("connections", connections);
        params.put("payloadBytes", common.payloadBytes);
        params.put("client", (jdkClient ? "java.net.http.HttpClient, HTTP/1.1, async, "
                : "minimal HTTP/1.1 client (PooledHttpClient), keep-alive, blocking, ") + connections + " connections");
        params.put("ingressRequestLogging", "WARN (per-request INFO log off)");
        payloads = new Payloads(common.seed, common.minBytes(), common.maxBytes());
        secret = Harness.newSecret();
        Map<String, Double> maxRates = new LinkedHashMap<>();
        Map<String, Harness.Measured> halfMax = new LinkedHashMap<>();
        Path work = Harness.tempDir("bench-ingress-");
        try (BenchKafka kafka = BenchKafka.start(common.bootstrap)) {
            params.put("broker", kafka.isEmbedded() ? "embedded (same JVM)" : kafka.bootstrapServers());
            Path triggers = BenchTriggers.write(work.resolve("triggers"), List.of(
                    new BenchTriggers.Spec("bench-ingress", "bench-agent", 1, List.of("incident.triggered"), null)));
            Harness.asGenerator(() -> {
                for (String subject : subjects) {
                    try (Subject s = open(subject, kafka, triggers)) {
                        double max = search(s, report);
                        maxRates.put(subject, max);
                        for (double rate : rates) {
                            fixed(s, rate, "fixed", report);
                        }
                        if (subject.equals(INGRESS) && max > 0) {
                            halfMax.put(subject, fixed(s, Math.max(1, Math.floor(max / 2)), "half-max", report));
                        }
                    }
                }
            });
        } finally {
            Harness.deleteQuietly(work);
        }
        ObjectNode max = Json.mapper().createObjectNode();
        maxRates.forEach(max::put);
        report.json().set("maxSustainableRate", max);
        Double noop = maxRates.get(NOOP);
        Double ingress = maxRates.get(INGRESS);
        Double producer = maxRates.get(PRODUCER);
        if (noop != null && ingress != null && noop > 0) {
            report.ratio("ingressVsNoopServer", ingress / noop, 0.7,
                    "ingress max sustainable rate / no-op Javalin server's (target >= 0.7)");
        }
        if (producer != null && ingress != null && producer > 0) {
            report.ratio("ingressVsProducerOnly", ingress / producer, null,
                    "ingress max sustainable rate / bare producer's (same payloads, same settings)");
        }
        Harness.Measured half = halfMax.get(INGRESS);
        if (half != null) {
            report.bound("ingressP99AtHalfMaxMs", Latency.ms(half.run().latency(), 99), 20,
                    "ingress p99 at half its max sustainable rate (" + half.run().targetRate() + "/s), target <= 20 ms");
        }
        report.note("sustainable = no failure, p99 <= " + p99BoundMs + " ms and >= 95% of the rate achieved; "
                + "latency is measured from each request's intended send time (no coordinated omission)");
        report.finish(common.out, System.out);
        return 0;
    }

    /** Doubles the rate until a step is not sustainable, then bisects; returns the best sustainable rate. */
    private double search(Subject s, Report report) {
        int warm = (int) Math.max(1, Math.min(startRate, 1000) * warmupSeconds);
        s.prepare(warm);
        Harness.measure(Math.min(startRate, 1000), warm, s.target());
        double pass = 0;
        double fail = Double.NaN;
        for (double rate = startRate; rate <= maxRate; rate *= 2) {
            if (run(s, rate, stepSeconds, "search", report).run().sustainable(p99BoundMs)) {
                pass = rate;
            } else {
                fail = rate;
                break;
            }
        }
        while (pass == 0 && !Double.isNaN(fail) && fail / 2 >= 10) {
            double rate = Math.floor(fail / 2);
            if (run(s, rate, stepSeconds, "search", report).run().sustainable(p99BoundMs)) {
                pass = rate;
            } else {
                fail = rate;
            }
        }
        for (int i = 0; i < refine && !Double.isNaN(fail); i++) {
            double rate = Math.floor(Math.sqrt(pass * fail));
            if (pass == 0 || rate == pass || rate == fail) {
                break;
            }
            if (run(s, rate, stepSeconds, "search", report).run().sustainable(p99BoundMs)) {
                pass = rate;
            } else {
                fail = rate;
            }
        }
        return pass;
    }

    private Harness.Measured fixed(Subject s, double rate, String phase, Report report) {
        return run(s, rate, seconds, phase, report);
    }

    private Harness.Measured run(Subject s, double rate, double runSeconds, String phase, Report report) {
        int count = (int) Math.max(1, Math.round(rate * runSeconds));
        s.prepare(count);
        Harness.Measured m = Harness.measure(rate, count, s.target());
        OpenLoop.Run r = m.run();
        ObjectNode row = Json.mapper().createObjectNode();
        LOG.info("{} {} at {}/s: {} ok, {} failed, p99 {} ms{}", s.name(), phase, rate, r.ok(),
                r.failed() + r.unfinished(), Harness.p(r.latency(), 99), r.sustainable(p99BoundMs) ? "" : " (not sustainable)");
        row.put("subject", s.name());
        row.put("phase", phase);
        row.put("targetRate", rate);
        row.put("achievedRate", Latency.round(r.achievedRate()));
        row.put("sent", r.sent());
        row.put("ok", r.ok());
        row.put("failed", r.failed());
        row.put("unfinished", r.unfinished());
        row.put("sustainable", r.sustainable(p99BoundMs));
        row.put("maxSendLagMs", Latency.round(r.maxSendLagMs()));
        row.set("latency", Latency.summary(r.latency()));
        row.put("clientMicrosPerRequest", Latency.round(m.clientMicrosPerRequest()));
        row.put("clientCores", Latency.round(m.clientCores()));
        row.put("processCores", Latency.round(m.processCores()));
        report.row(row, s.name(), phase + (r.sustainable(p99BoundMs) ? "" : " (x)"), (long) rate,
                Math.round(r.achievedRate()), r.ok(), r.failed() + r.unfinished(), Harness.p(r.latency(), 50),
                Harness.p(r.latency(), 99), Harness.p(r.latency(), 99.9), Latency.round(Latency.maxMs(r.latency())),
                Latency.round(m.clientMicrosPerRequest()), Latency.round(m.clientCores()),
                Latency.round(m.processCores()));
        return m;
    }

    private Subject open(String name, BenchKafka kafka, Path triggers) {
        Map<String, String> secrets = Map.of(BenchTriggers.SECRET_VAR + 1, secret);
        switch (name) {
            case NOOP: {
                Javalin app = Harness.startNoopServer(IngressConfig.DEFAULT_MAX_BODY_BYTES);
                return new HttpSubject(name, app.port(), app::stop);
            }
            case INGRESS: {
                IngressService ingress = Harness.startIngress(kafka, triggers, secrets, kafka.unique("raw"));
                return new HttpSubject(name, ingress.port(), ingress::close);
            }
            case PRODUCER: {
                String topic = kafka.unique("raw-producer-only");
                kafka.createTopics(IngressConfig.DEFAULT_RAW_TOPIC_PARTITIONS, topic);
                Properties pass = new Properties();
                pass.put("bootstrap.servers", kafka.bootstrapServers());
                KafkaWebhookPublisher publisher = KafkaWebhookPublisher.create(pass, topic,
                        Duration.ofMillis(IngressConfig.DEFAULT_PUBLISH_TIMEOUT_MS), IngressConfig.DEFAULT_MAX_BODY_BYTES);
                return new ProducerSubject(publisher, List.of(SecretFingerprint.of(secret)));
            }
            default:
                throw new IllegalArgumentException("unknown subject '" + name + "'; known: " + NOOP + ", " + INGRESS
                        + ", " + PRODUCER);
        }
    }

    /** Something the generator drives; {@link #prepare} builds the distinct events of the next run. */
    private abstract class Subject implements AutoCloseable {
        volatile Payloads.Event[] events = new Payloads.Event[0];
        volatile HttpTarget.Request[] requests = new HttpTarget.Request[0];

        abstract String name();

        abstract OpenLoop.Target target();

        void prepare(int count) {
            Payloads.Event[] e = new Payloads.Event[count];
            HttpTarget.Request[] r = new HttpTarget.Request[count];
            for (int i = 0; i < count; i++) {
                e[i] = payloads.next("incident.triggered", "P1");
                r[i] = new HttpTarget.Request(e[i].body(), Payloads.sign(e[i].body(), secret), "W" + e[i].eventId());
            }
            events = e;
            requests = r;
        }

        @Override
        public abstract void close();
    }

    private final class HttpSubject extends Subject {
        private final String name;
        private final OpenLoop.Target target;
        private final AutoCloseable client;
        private final Runnable stop;

        HttpSubject(String name, int port, Runnable stop) {
            this.name = name;
            this.stop = stop;
            if (jdkClient) {
                HttpTarget http = new HttpTarget(URI.create("http://127.0.0.1:" + port + Harness.WEBHOOK_PATH),
                        connections, 202, i -> requests[i]);
                this.target = http;
                this.client = http;
            } else {
                PooledHttpClient pooled = new PooledHttpClient("127.0.0.1", port, Harness.WEBHOOK_PATH, connections, 202,
                        i -> requests[i]);
                this.target = pooled;
                this.client = pooled;
            }
        }

        @Override
        String name() {
            return name;
        }

        @Override
        OpenLoop.Target target() {
            return target;
        }

        @Override
        public void close() {
            try {
                client.close();
            } catch (Exception e) {
                // closing the load client cannot fail in a way that matters here
            }
            stop.run();
        }
    }

    private final class ProducerSubject extends Subject {
        private final KafkaWebhookPublisher publisher;
        private final List<String> fingerprints;

        ProducerSubject(KafkaWebhookPublisher publisher, List<String> fingerprints) {
            this.publisher = publisher;
            this.fingerprints = new ArrayList<>(fingerprints);
        }

        @Override
        String name() {
            return PRODUCER;
        }

        @Override
        OpenLoop.Target target() {
            return i -> {
                Payloads.Event e = events[i];
                CompletableFuture<Boolean> done = publisher.publish(new RawDelivery(e.incidentId(), e.body(),
                        "W" + e.eventId(), "PSUBSCRIPTION1", Instant.now(), fingerprints)).thenApply(receipt -> true);
                return done;
            };
        }

        @Override
        public void close() {
            publisher.close(Duration.ofSeconds(5));
        }
    }
}
