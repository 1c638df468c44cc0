package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.kafka.BenchTriggers;
import dev.pdpipeline.bench.load.Deliveries;
import dev.pdpipeline.bench.load.HttpTarget;
import dev.pdpipeline.bench.load.NoopServer;
import dev.pdpipeline.bench.load.OpenLoop;
import dev.pdpipeline.bench.load.Payloads;
import dev.pdpipeline.bench.load.PooledHttpClient;
import dev.pdpipeline.bench.load.ProducerLoop;
import dev.pdpipeline.bench.load.Wrk;
import dev.pdpipeline.bench.process.ChildJvm;
import dev.pdpipeline.bench.process.ParentWatch;
import dev.pdpipeline.bench.report.Latency;
import dev.pdpipeline.bench.report.Report;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.trigger.SecretFingerprint;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.launcher.Pipeline;
import java.io.File;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The ingress's maximum throughput and its latency at fixed rates, beside its two limits measured
 * in the same run: the same Javalin/Jetty route answering 202 without any work (no-op server), and
 * the ingress's own publisher publishing the same deliveries with as many in flight (producer
 * loop). The ingress, the no-op server, the producer loop and the broker each run in a JVM of
 * their own; the ingress runs as users run it (the launcher's {@code ingress} command, configured
 * by its environment variables, at its default log level). Maximum throughput comes from
 * {@code wrk} (an external, closed-loop generator cycling through pre-signed deliveries); latency
 * at fixed rates from the open-loop generator ({@link OpenLoop}).
 */
@Command(name = "ingress", mixinStandardHelpOptions = true,
        description = "Max throughput (wrk) and fixed-rate latency of the ingress vs a no-op server and the producer loop.")
public final class IngressBench implements Callable<Integer> {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(IngressBench.class);

    static final String NOOP = "noop-server";
    /** The no-op route as a Jetty core handler, the HTTP path the ingress's webhook route takes. */
    static final String NOOP_CORE = "noop-core";
    static final String INGRESS = "ingress";
    static final String PRODUCER = "producer-only";
    /** The concurrency the ratio's target is set at. */
    static final int HEADLINE_CONNECTIONS = 64;
    /** Deliveries sent one at a time to each HTTP subject before any measured run. */
    static final int PRIME = 20;

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--connections", split = ",", defaultValue = "64",
            description = "Connections (wrk) and publishes in flight (producer loop) of the max-throughput runs,"
                    + " e.g. 16,64 (default: ${DEFAULT-VALUE}).")
    List<Integer> connections;

    @Option(names = "--duration-seconds", defaultValue = "15",
            description = "Length of each max-throughput run, after the warm-up (default: ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--warmup-seconds", defaultValue = "30",
            description = "Warm-up of each subject before its first measured run (JIT), not reported (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--rates", split = ",", defaultValue = "500,1000", converter = BlankIsNone.class,
            description = "Fixed rates (events/s) of the open-loop latency runs against the no-op server and the"
                    + " ingress (default: ${DEFAULT-VALUE}; an empty value: none).")
    List<Double> rates;

    /** The fixed rates asked for; none for {@code --rates ""}. */
    List<Double> fixedRates() {
        return BlankIsNone.present(rates);
    }

    @Option(names = "--seconds", defaultValue = "5", description = "Length of each fixed-rate run (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--half-max", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "Also measure the ingress's latency at half its max throughput (default: ${DEFAULT-VALUE}).")
    boolean halfMax;

    @Option(names = "--search", description = "Also search the max sustainable rate of the no-op server and the"
            + " ingress with the open-loop generator (the scenario's method before wrk; JSON maxSustainableRate).")
    boolean search;

    @Option(names = "--step-seconds", defaultValue = "3", description = "--search: length of each step.")
    double stepSeconds;

    @Option(names = "--start-rate", defaultValue = "500", description = "--search: first rate; doubled per step.")
    double startRate;

    @Option(names = "--max-rate", defaultValue = "40000", description = "--search: the search stops here.")
    double maxRate;

    @Option(names = "--refine", defaultValue = "2", description = "--search: bisection steps after the doubling.")
    int refine;

    @Option(names = "--p99-bound-ms", defaultValue = "50",
            description = "Sustainable (fixed-rate rows, --search) means p99 at most this (default: ${DEFAULT-VALUE}).")
    double p99BoundMs;

    @Option(names = "--open-loop-connections", defaultValue = "64",
            description = "Most requests in flight of the open-loop generator (default: ${DEFAULT-VALUE}).")
    int openLoopConnections;

    @Option(names = "--jdk-client", description = "Open loop: java.net.http.HttpClient instead of the minimal pooled client.")
    boolean jdkClient;

    @Option(names = "--deliveries", defaultValue = "1000",
            description = "Distinct pre-signed deliveries the generators cycle through (default: ${DEFAULT-VALUE}).")
    int deliveryCount;

    @Option(names = "--wrk", description = "Path of wrk (default: found on the PATH).")
    String wrkPath;

    @Option(names = "--wrk-threads", defaultValue = "2", description = "wrk threads (default: ${DEFAULT-VALUE}).")
    int wrkThreads;

    @Option(names = "--subject-heap", defaultValue = "1g",
            description = "-Xmx of the ingress, no-op server and producer loop JVMs (default: ${DEFAULT-VALUE}).")
    String subjectHeap;

    @Option(names = "--subject-jvm-options", defaultValue = "",
            description = "More JVM options of those JVMs, space-separated (e.g. a JFR recording).")
    String subjectJvmOptions;

    @Option(names = "--ingress-log-level", defaultValue = "INFO",
            description = "LOG_LEVEL of the ingress (default: ${DEFAULT-VALUE}, as users run it).")
    String ingressLogLevel;

    @Option(names = "--subjects", split = ",", defaultValue = NOOP + "," + NOOP_CORE + "," + INGRESS + "," + PRODUCER,
            description = "Which subjects to measure (default: ${DEFAULT-VALUE}).")
    List<String> subjects;

    private String secret;

    @Override
    public Integer call() {
        Wrk wrk;
        try {
            wrk = Wrk.find(wrkPath);
        } catch (IllegalStateException e) {
            System.err.println("bench ingress: " + e.getMessage());
            return 2;
        }
        for (String s : subjects) {
            if (!List.of(NOOP, NOOP_CORE, INGRESS, PRODUCER).contains(s)) {
                System.err.println("bench ingress: unknown subject '" + s + "'; known: " + NOOP + ", " + NOOP_CORE + ", "
                        + INGRESS + ", "
                        + PRODUCER);
                return 2;
            }
        }
        Report report = new Report("ingress", List.of("subject", "phase", "conns", "rate/s", "req/s", "ok", "failed",
                "p50 ms", "p99 ms", "p99.9 ms", "max ms", "subject cores", "subject rss MiB"));
        ObjectNode params = report.parameters();
        params.put("connections", connections.toString());
        params.put("durationSeconds", durationSeconds);
        params.put("warmupSeconds", warmupSeconds);
        params.put("fixedRates", fixedRates().toString());
        params.put("fixedSeconds", seconds);
        params.put("openLoopConnections", openLoopConnections);
        params.put("deliveries", deliveryCount);
        params.put("payloadBytes", common.payloadBytes);
        params.put("maxThroughputGenerator", "wrk " + wrk.executable() + ", " + wrkThreads
                + " threads, script wrk/deliveries.lua (closed loop, keep-alive)");
        params.put("client", (jdkClient ? "java.net.http.HttpClient, HTTP/1.1, async, "
                : "minimal HTTP/1.1 client (PooledHttpClient), keep-alive, blocking, ") + openLoopConnections
                + " connections (fixed-rate runs)");
        params.put("subjectHeap", subjectHeap);
        params.put("ingressLogLevel", ingressLogLevel);
        params.put("ingressRun", "the launcher's ingress command (" + launcherDescription() + ") in a JVM of its own");
        secret = Harness.newSecret();
        Path work = Harness.tempDir("bench-ingress-");
        Map<String, Map<Integer, Wrk.Result>> max = new LinkedHashMap<>();
        Map<Integer, Harness.Measured> half = new HashMap<>();
        Map<String, Double> sustainable = new LinkedHashMap<>();
        try (BenchKafka kafka = common.kafka()) {
            params.put("broker", kafka.describe());
            Path triggers = BenchTriggers.write(work.resolve("triggers"), List.of(
                    new BenchTriggers.Spec("bench-ingress", "bench-agent", 1, List.of("incident.triggered"), null)));
            Payloads payloads = new Payloads(common.seed, common.minBytes(), common.maxBytes());
            List<Deliveries.Delivery> deliveries = Deliveries.signed(payloads, deliveryCount, secret);
            Path deliveriesFile = Deliveries.write(work.resolve("deliveries.tsv"), deliveries);
            Path script = Wrk.writeScript(work);
            HttpTarget.Request[] requests = deliveries.stream()
                    .map(d -> new HttpTarget.Request(d.body(), d.signature(), d.webhookId()))
                    .toArray(HttpTarget.Request[]::new);
            Map<String, String> secrets = Map.of(BenchTriggers.SECRET_VAR + 1, secret);
            Harness.asGenerator(() -> {
                for (String subject : subjects) {
                    if (subject.equals(PRODUCER)) {
                        Map<Integer, Wrk.Result> results = new LinkedHashMap<>();
                        for (int c : connections) {
                            results.put(c, producerLoop(kafka, triggers, secrets, deliveriesFile, c, work, report));
                        }
                        max.put(subject, results);
                        continue;
                    }
                    try (Server server = subject.equals(INGRESS)
                            ? startIngress(kafka, triggers, secrets, work)
                            : startNoop(work, subject)) {
                        ChildJvm child = server.child();
                        int port = server.port();
                        String url = "http://127.0.0.1:" + port + NoopServer.WEBHOOK_PATH;
                        prime(port, requests);
                        int warm = (int) Math.ceil(warmupSeconds);
                        if (warm > 0) {
                            int c = connections.stream().mapToInt(Integer::intValue).max().orElse(HEADLINE_CONNECTIONS);
                            wrk.run(script, deliveriesFile, url, c, wrkThreads, warm,
                                    work.resolve(subject + "-warmup-wrk.log"));
                        }
                        Map<Integer, Wrk.Result> results = new LinkedHashMap<>();
                        for (int c : connections) {
                            long cpu = child.cpuNanos();
                            long t0 = System.nanoTime();
                            Wrk.Result r = wrk.run(script, deliveriesFile, url, c, wrkThreads, durationSeconds,
                                    work.resolve(subject + "-c" + c + "-wrk.log"));
                            double cores = cores(child.cpuNanos() - cpu, System.nanoTime() - t0, cpu);
                            results.put(c, r);
                            maxRow(report, subject, r, cores, child.rssKb());
                        }
                        max.put(subject, results);
                        try (PooledOrJdk client = new PooledOrJdk(port, requests)) {
                            if (search) {
                                sustainable.put(subject, search(child, client, subject, report));
                            }
                            for (double rate : fixedRates()) {
                                fixed(child, client, subject, rate, "fixed", report);
                            }
                            if (halfMax && subject.equals(INGRESS)) {
                                Wrk.Result headline = headline(results);
                                double rate = Math.max(1, Math.floor(headline.okPerSecond() / 2));
                                half.put(headline.connections(), fixed(child, client, subject, rate, "half-max", report));
                            }
                        }
                    }
                }
            });
        } finally {
            Harness.deleteQuietly(work);
        }
        ratios(report, max, half);
        if (!sustainable.isEmpty()) {
            ObjectNode json = report.json().putObject("maxSustainableRate");
            sustainable.forEach(json::put);
            report.note("search = open loop, rate doubled then bisected; sustainable = no failure, p99 <= "
                    + p99BoundMs + " ms and >= 95% of the rate achieved");
        }
        report.note("max = wrk, closed loop: each connection sends its next request when the answer came; req/s"
                + " counts answers below 400 over the run (after a " + warmupSeconds + " s warm-up per subject);"
                + " the producer loop waits for each acknowledgement with as many publishes in flight");
        report.note("limit = 1/(1/no-op + 1/producer loop) at the same concurrency: what the machine allows for"
                + " 'read an HTTP body, then publish it and wait for the ack'");
        report.note("fixed = open loop at a fixed rate, latency from each request's intended send time (no"
                + " coordinated omission)");
        report.finish(common.out, System.out);
        return 0;
    }

    private void ratios(Report report, Map<String, Map<Integer, Wrk.Result>> max, Map<Integer, Harness.Measured> half) {
        ObjectNode maxJson = report.json().putObject("maxThroughput");
        max.forEach((subject, byConnections) -> {
            ObjectNode s = maxJson.putObject(subject);
            byConnections.forEach((c, r) -> s.put(Integer.toString(c), Latency.round(r.okPerSecond())));
        });
        Map<Integer, Wrk.Result> noop = max.getOrDefault(NOOP, Map.of());
        Map<Integer, Wrk.Result> ingress = max.getOrDefault(INGRESS, Map.of());
        Map<Integer, Wrk.Result> producer = max.getOrDefault(PRODUCER, Map.of());
        Map<Integer, Wrk.Result> noopCore = max.getOrDefault(NOOP_CORE, Map.of());
        ObjectNode limitJson = report.json().putObject("limit");
        for (int c : connections) {
            Wrk.Result n = noop.get(c);
            Wrk.Result i = ingress.get(c);
            Wrk.Result p = producer.get(c);
            boolean headline = c == headlineConnections();
            String suffix = headline ? "" : "At" + c;
            if (n != null && p != null && n.okPerSecond() > 0 && p.okPerSecond() > 0) {
                double limit = 1 / (1 / n.okPerSecond() + 1 / p.okPerSecond());
                limitJson.put(Integer.toString(c), Latency.round(limit));
                if (i != null) {
                    report.ratio("ingressVsLimit" + suffix, i.okPerSecond() / limit, headline ? 0.9 : null,
                            "ingress req/s / (1/(1/no-op + 1/producer loop)) at " + c + " connections"
                                    + (headline ? " (target >= 0.9)" : ""));
                }
            }
            Wrk.Result nc = noopCore.get(c);
            if (nc != null && p != null && i != null && nc.okPerSecond() > 0 && p.okPerSecond() > 0) {
                double limit = 1 / (1 / nc.okPerSecond() + 1 / p.okPerSecond());
                report.ratio("ingressVsCoreLimit" + suffix, i.okPerSecond() / limit, null,
                        "ingress req/s / (1/(1/no-op core handler + 1/producer loop)) at " + c + " connections: the "
                                + "limit with the HTTP path the ingress's webhook route takes (informative)");
            }
            if (n != null && i != null && n.okPerSecond() > 0) {
                report.ratio("ingressVsNoopServer" + suffix, i.okPerSecond() / n.okPerSecond(), headline ? 0.7 : null,
                        "ingress req/s / no-op Javalin server's at " + c + " connections" + (headline
                                ? " (target >= 0.7)" : ""));
            }
            if (p != null && i != null && p.okPerSecond() > 0) {
                report.ratio("ingressVsProducerOnly" + suffix, i.okPerSecond() / p.okPerSecond(), null,
                        "ingress req/s / producer loop's (same deliveries, same publisher) at " + c + " in flight");
            }
        }
        Harness.Measured h = half.get(headlineConnections());
        if (h != null) {
            report.bound("ingressP99AtHalfMaxMs", Latency.ms(h.run().latency(), 99), 20,
                    "ingress p99 at half its max throughput (" + h.run().targetRate() + "/s, open loop), target <= 20 ms");
        }
    }

    /** 64 when measured, else the largest concurrency measured. */
    private int headlineConnections() {
        return connections.contains(HEADLINE_CONNECTIONS) ? HEADLINE_CONNECTIONS
                : connections.stream().mapToInt(Integer::intValue).max().orElse(HEADLINE_CONNECTIONS);
    }

    private Wrk.Result headline(Map<Integer, Wrk.Result> results) {
        return results.get(headlineConnections());
    }

    /**
     * Set-up, not warm-up: a few deliveries one at a time until each was answered 202, so that the
     * first measured second does not include the producers' start (metadata, producer ids).
     */
    private void prime(int port, HttpTarget.Request[] requests) {
        try (PooledHttpClient client = new PooledHttpClient("127.0.0.1", port, NoopServer.WEBHOOK_PATH, 1, 202,
                i -> requests[i % requests.length])) {
            for (int i = 0; i < PRIME; i++) {
                if (!client.send(i).get(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the subject on port " + port + " did not answer a signed delivery"
                            + " with 202");
                }
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the subject on port " + port + " did not answer within 60 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static double cores(long cpuNanos, long wallNanos, long before) {
        return before < 0 || cpuNanos < 0 ? -1 : Latency.round((double) cpuNanos / wallNanos);
    }

    private Wrk.Result producerLoop(BenchKafka kafka, Path triggers, Map<String, String> secrets, Path deliveriesFile,
            int concurrency, Path work, Report report) {
        Map<String, String> env = ingressEnv(kafka, triggers, secrets, 0, 0);
        env.put("RAW_TOPIC", kafka.unique("raw-producer-only"));
        try (ChildJvm child = ChildJvm.builder("producer-loop").heap(subjectHeap).jvmOptions(subjectJvmOptions)
                .env(env).log(work.resolve("producer-loop-c" + concurrency + ".log"))
                .main(ProducerLoop.class.getName(), deliveriesFile.toString(), Integer.toString(concurrency),
                        Double.toString(warmupSeconds), Integer.toString(durationSeconds),
                        SecretFingerprint.of(secret))
                .start()) {
            String line = child.awaitLine(ProducerLoop.RESULT_PREFIX,
                    Duration.ofSeconds((long) (120 + warmupSeconds + durationSeconds)));
            long rss = child.peakRssKb();
            Map<String, Double> f = new HashMap<>();
            for (String part : line.split("\\s+")) {
                int eq = part.indexOf('=');
                if (eq > 0) {
                    f.put(part.substring(0, eq), Double.parseDouble(part.substring(eq + 1)));
                }
            }
            long ok = f.get("requests").longValue();
            long errors = f.get("errors").longValue();
            Wrk.Result r = new Wrk.Result(concurrency, ok + errors, f.get("seconds"), errors, 0, 0, 0, 0,
                    f.get("p50us") / 1000, f.get("p90us") / 1000, f.get("p99us") / 1000, f.get("p999us") / 1000,
                    f.get("maxus") / 1000, f.get("meanus") / 1000);
            double cores = Latency.round(f.getOrDefault("cores", -1.0));
            maxRow(report, PRODUCER, r, cores, rss);
            return r;
        }
    }

    private void maxRow(Report report, String subject, Wrk.Result r, double cores, long rssKb) {
        ObjectNode row = Json.mapper().createObjectNode();
        row.put("subject", subject);
        row.put("phase", "max");
        row.put("generator", subject.equals(PRODUCER) ? "producer loop" : "wrk");
        row.put("connections", r.connections());
        row.put("seconds", Latency.round(r.seconds()));
        row.put("requests", r.requests());
        row.put("ok", r.requests() - r.non2xx());
        row.put("non2xx", r.non2xx());
        row.put("socketErrors", r.socketErrors());
        row.put("requestsPerSecond", Latency.round(r.requestsPerSecond()));
        row.put("okPerSecond", Latency.round(r.okPerSecond()));
        ObjectNode latency = row.putObject("latency");
        latency.put("p50Ms", r.p50Ms());
        latency.put("p90Ms", r.p90Ms());
        latency.put("p99Ms", r.p99Ms());
        latency.put("p999Ms", r.p999Ms());
        latency.put("maxMs", r.maxMs());
        latency.put("meanMs", r.meanMs());
        row.put("subjectCores", cores);
        row.put("subjectRssKb", rssKb);
        LOG.info("{} max at {} connections: {} ok/s, {} failed, p99 {} ms", subject, r.connections(),
                Math.round(r.okPerSecond()), r.non2xx() + r.socketErrors(), r.p99Ms());
        report.row(row, subject, "max", r.connections(), "-", Math.round(r.okPerSecond()), r.requests() - r.non2xx(),
                r.non2xx() + r.socketErrors(), r.p50Ms(), r.p99Ms(), r.p999Ms(), r.maxMs(), cores, rssKb / 1024);
    }

    private Harness.Measured fixed(ChildJvm child, PooledOrJdk client, String subject, double rate, String phase,
            Report report) {
        int count = (int) Math.max(1, Math.round(rate * seconds));
        long cpu = child.cpuNanos();
        long t0 = System.nanoTime();
        Harness.Measured m = Harness.measure(rate, count, client.target);
        double cores = cores(child.cpuNanos() - cpu, System.nanoTime() - t0, cpu);
        OpenLoop.Run r = m.run();
        ObjectNode row = Json.mapper().createObjectNode();
        LOG.info("{} {} at {}/s: {} ok, {} failed, p99 {} ms", subject, phase, rate, r.ok(), r.failed() + r.unfinished(),
                Harness.p(r.latency(), 99));
        row.put("subject", subject);
        row.put("phase", phase);
        row.put("generator", "open loop");
        row.put("connections", openLoopConnections);
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
        row.put("subjectCores", cores);
        row.put("subjectRssKb", child.rssKb());
        report.row(row, subject, phase, openLoopConnections, (long) rate, Math.round(r.achievedRate()), r.ok(),
                r.failed() + r.unfinished(), Harness.p(r.latency(), 50), Harness.p(r.latency(), 99),
                Harness.p(r.latency(), 99.9), Latency.round(Latency.maxMs(r.latency())), cores, child.rssKb() / 1024);
        return m;
    }

    /** Doubles the rate until a step is not sustainable, then bisects; the best sustainable rate. */
    private double search(ChildJvm child, PooledOrJdk client, String subject, Report report) {
        double pass = 0;
        double fail = Double.NaN;
        for (double rate = startRate; rate <= maxRate; rate *= 2) {
            if (step(child, client, subject, rate, report)) {
                pass = rate;
            } else {
                fail = rate;
                break;
            }
        }
        while (pass == 0 && !Double.isNaN(fail) && fail / 2 >= 10) {
            double rate = Math.floor(fail / 2);
            if (step(child, client, subject, rate, report)) {
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
            if (step(child, client, subject, rate, report)) {
                pass = rate;
            } else {
                fail = rate;
            }
        }
        return pass;
    }

    private boolean step(ChildJvm child, PooledOrJdk client, String subject, double rate, Report report) {
        double saved = seconds;
        seconds = stepSeconds;
        try {
            return fixed(child, client, subject, rate, "search", report).run().sustainable(p99BoundMs);
        } finally {
            seconds = saved;
        }
    }

    /** The open-loop client of the fixed-rate runs, cycling through the same deliveries. */
    private final class PooledOrJdk implements AutoCloseable {
        final OpenLoop.Target target;
        private final AutoCloseable client;

        PooledOrJdk(int port, HttpTarget.Request[] requests) {
            if (jdkClient) {
                HttpTarget http = new HttpTarget(URI.create("http://127.0.0.1:" + port + NoopServer.WEBHOOK_PATH),
                        openLoopConnections, 202, i -> requests[i % requests.length]);
                this.target = http;
                this.client = http;
            } else {
                PooledHttpClient pooled = new PooledHttpClient("127.0.0.1", port, NoopServer.WEBHOOK_PATH,
                        openLoopConnections, 202, i -> requests[i % requests.length]);
                this.target = pooled;
                this.client = pooled;
            }
        }

        @Override
        public void close() {
            try {
                client.close();
            } catch (Exception e) {
                // closing the load client cannot fail in a way that matters here
            }
        }
    }

    private Map<String, String> ingressEnv(BenchKafka kafka, Path triggers, Map<String, String> secrets, int port,
            int managementPort) {
        Map<String, String> env = new HashMap<>(secrets);
        env.putAll(kafka.clientEnv());
        env.put(IngressConfig.TRIGGERS_PATH, triggers.toString());
        env.put(IngressConfig.INGRESS_HOST, "127.0.0.1");
        env.put(IngressConfig.INGRESS_PORT, Integer.toString(port));
        env.put(IngressConfig.MANAGEMENT_HOST, "127.0.0.1");
        env.put(IngressConfig.MANAGEMENT_PORT, Integer.toString(managementPort));
        env.put(IngressConfig.READINESS_CHECK_INTERVAL_MS, "200");
        env.put("LOG_LEVEL", ingressLogLevel);
        return env;
    }

    /** {@code pipeline ingress} in a JVM of its own, ready (its /health/ready answers 200). */
    private Server startIngress(BenchKafka kafka, Path triggers, Map<String, String> secrets, Path work) {
        int port = Harness.freePort();
        int management = Harness.freePort();
        Map<String, String> env = ingressEnv(kafka, triggers, secrets, port, management);
        env.put("RAW_TOPIC", kafka.unique("raw"));
        // the launcher's own logging (logback.xml of its jar), not the benchmark's
        ChildJvm.Builder builder = ChildJvm.builder(INGRESS).heap(subjectHeap)
                .jvmOptions("-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener")
                .jvmOptions(subjectJvmOptions).env(env).inheritLogging(false).log(work.resolve("ingress.log"))
                .readiness(PipelinePart.readyUrl(management));
        String jar = launcherJar();
        if (jar != null) {
            // the launcher's jar first: its logback.xml is the one users get
            builder.classPath(jar + File.pathSeparator + codeSource(ParentWatch.class));
        }
        ChildJvm child = builder.main(Pipeline.class.getName(), "ingress").start();
        try {
            child.awaitReady(Duration.ofSeconds(120));
        } catch (RuntimeException e) {
            child.close();
            throw e;
        }
        return new Server(child, port);
    }

    private Server startNoop(Path work, String subject) {
        ChildJvm child = ChildJvm.builder(subject).heap(subjectHeap).jvmOptions(subjectJvmOptions)
                .log(work.resolve(subject + ".log"))
                .main(NoopServer.class.getName(), Long.toString(IngressConfig.DEFAULT_MAX_BODY_BYTES), "0",
                        subject.equals(NOOP_CORE) ? "core" : "javalin").start();
        try {
            int port = Integer.parseInt(child.awaitLine(NoopServer.READY_PREFIX, Duration.ofSeconds(60)));
            return new Server(child, port);
        } catch (RuntimeException e) {
            child.close();
            throw e;
        }
    }

    /** An HTTP subject in its own JVM, and the port it listens on. */
    private record Server(ChildJvm child, int port) implements AutoCloseable {
        @Override
        public void close() {
            child.close();
        }
    }

    /** The launcher's jar ({@code launcher/target/pipeline.jar}) when the launcher comes from one. */
    private static String launcherJar() {
        String location = codeSource(Pipeline.class);
        return location != null && location.toLowerCase(Locale.ROOT).endsWith(".jar") ? location : null;
    }

    private static String launcherDescription() {
        String jar = launcherJar();
        return jar != null ? "java -cp " + Path.of(jar).getFileName() + " " + Pipeline.class.getName() + " ingress"
                : Pipeline.class.getName() + " ingress";
    }

    private static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }
}
