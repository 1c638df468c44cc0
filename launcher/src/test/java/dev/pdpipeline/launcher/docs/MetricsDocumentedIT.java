package dev.pdpipeline.launcher.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.launcher.local.LocalPipeline;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Keeps docs/metrics.md and docs/monitoring/ honest: a metric added without documentation, or an
 * alert or dashboard query naming a metric the pipeline does not export, fails the build. Drives
 * the local pipeline through every path that registers a meter lazily (duplicate, bad signature,
 * raw and result dead letters, a PagerDuty 429 then success) before scraping.
 */
class MetricsDocumentedIT {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path METRICS_DOC = REPO.resolve("docs/metrics.md");
    private static final Path TROUBLESHOOTING_DOC = REPO.resolve("docs/troubleshooting.md");
    private static final Path ALERTS = REPO.resolve("docs/monitoring/prometheus-alerts.yml");
    private static final Path DASHBOARD = REPO.resolve("docs/monitoring/grafana-dashboard.json");

    /** Metric names in PromQL: prefixes of series the pipeline exports (ours, Kafka clients, JVM). */
    private static final Pattern METRIC = Pattern.compile(
            "(?<![A-Za-z0-9_:$])((?:pdpipeline|kafka|jvm|process|system)_[a-z0-9_]+)");
    private static final Pattern QUOTED = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");

    @TempDir
    Path dataDir;

    private HttpServer pagerDuty;

    @AfterEach
    void cleanUp() {
        Environment.override(null);
        if (pagerDuty != null) {
            pagerDuty.stop(0);
        }
    }

    @Test
    void everyExportedMetricIsDocumentedAndEveryAlertNamesAnExportedMetric() throws Exception {
        AtomicInteger noteWrites = new AtomicInteger();
        pagerDuty = startFakePagerDuty(noteWrites);

        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:" + freePort());
        env.put("LOCAL_DATA_DIR", dataDir.toString());
        env.put("INGRESS_PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("CONSOLE_PORT", "0");
        env.put("PAGERDUTY_API_URL", "http://localhost:" + pagerDuty.getAddress().getPort());
        env.put("PAGERDUTY_API_TOKEN", "metrics-it-token");
        env.put("PAGERDUTY_FROM_EMAIL", "bot@example.com");
        env.put("PAGERDUTY_RETRY_INITIAL_BACKOFF_MS", "100");
        Map<String, String> localEnv = LocalPipeline.withLocalDefaults(env, REPO);

        String scrape;
        try (LocalPipeline pipeline = LocalPipeline.start(localEnv)) {
            await().atMost(Duration.ofSeconds(90)).until(pipeline::isReady);
            Environment.override(localEnv);
            String url = "http://localhost:" + pipeline.ingressPort() + "/webhooks/pagerduty";

            assertThat(sendTestEvent(url, "--event-id", "metrics-it-1")).contains("HTTP 202");
            assertThat(sendTestEvent(url, "--event-id", "metrics-it-1")).contains("HTTP 202");
            assertThat(sendTestEvent(url, "--secret", "not-the-secret")).contains("HTTP 401");
            assertThat(postSigned(url, "this is not json").statusCode()).isEqualTo(202);
            publishResult(pipeline.bootstrapServers(), pipeline.topics().results(), "{not json");

            int management = pipeline.managementPort();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(metricNames(get(management, "/metrics"))).contains(
                            "pdpipeline_ingress_signature_failures_total",
                            "pdpipeline_processor_dead_letters_total",
                            "pdpipeline_notes_dead_letters_total",
                            "pdpipeline_notes_rate_limited_total",
                            "pdpipeline_notes_retries_total",
                            "pdpipeline_pagerduty_request_seconds_count",
                            "kafka_consumer_fetch_manager_records_lag_max"));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(get(management, "/metrics"))
                    .containsPattern("pdpipeline_notes_writes_total\\{[^}]*outcome=\"written\"[^}]*\\} [1-9]")
                    .containsPattern("pdpipeline_processor_decisions_total\\{[^}]*outcome=\"duplicate\"[^}]*\\} [1-9]"));
            scrape = get(management, "/metrics");
        }
        assertThat(noteWrites.get()).as("note writes reaching the fake PagerDuty").isGreaterThanOrEqualTo(2);

        Set<String> families = typedFamilies(scrape);
        Set<String> exported = metricNames(scrape);
        assertThat(families).as("pdpipeline families in the scrape").hasSizeGreaterThan(20);

        String metricsDoc = Files.readString(METRICS_DOC);
        List<String> undocumented = families.stream()
                .filter(f -> f.startsWith("pdpipeline_"))
                .filter(f -> !containsWord(metricsDoc, f))
                .toList();
        assertThat(undocumented).as("pdpipeline_ metric families missing from docs/metrics.md").isEmpty();

        assertAlertsReferenceExportedMetrics(exported);
        assertDashboardReferencesExportedMetrics(exported);
    }

    private static void assertAlertsReferenceExportedMetrics(Set<String> exported) throws IOException {
        JsonNode alerts = new ObjectMapper(new YAMLFactory()).readTree(ALERTS.toFile());
        Set<String> anchors = anchors(Files.readString(TROUBLESHOOTING_DOC));
        List<String> problems = new ArrayList<>();
        int rules = 0;
        for (JsonNode group : alerts.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                rules++;
                String name = rule.path("alert").asText("<unnamed>");
                String expr = rule.path("expr").asText("");
                Set<String> referenced = referencedMetrics(expr);
                if (referenced.isEmpty()) {
                    problems.add(name + ": expr names no pipeline metric: " + expr);
                }
                for (String metric : referenced) {
                    if (!exported.contains(metric) && !onlyAfterFirstOccurrence(metric)) {
                        problems.add(name + ": " + metric + " is not exported");
                    }
                }
                if (!rule.hasNonNull("for")) {
                    problems.add(name + ": no 'for'");
                }
                if (!Set.of("page", "ticket").contains(rule.path("labels").path("severity").asText())) {
                    problems.add(name + ": labels.severity must be page or ticket");
                }
                JsonNode annotations = rule.path("annotations");
                if (annotations.path("summary").asText().isBlank() || annotations.path("description").asText().isBlank()) {
                    problems.add(name + ": summary and description are required");
                }
                String runbook = annotations.path("runbook_url").asText();
                int hash = runbook.indexOf('#');
                if (!runbook.startsWith("docs/troubleshooting.md#") || !anchors.contains(runbook.substring(hash + 1))) {
                    problems.add(name + ": runbook_url '" + runbook + "' is no section of docs/troubleshooting.md");
                }
            }
        }
        assertThat(rules).as("alert rules in " + ALERTS).isGreaterThan(10);
        assertThat(problems).as("problems in docs/monitoring/prometheus-alerts.yml").isEmpty();
    }

    /**
     * Micrometer's GC pause timer appears only after the JVM's first collection, which a short test
     * run may not reach; it is a standard JVM family, so its absence from one scrape is no error.
     */
    private static boolean onlyAfterFirstOccurrence(String metric) {
        return metric.startsWith("jvm_gc_pause_seconds");
    }

    private static void assertDashboardReferencesExportedMetrics(Set<String> exported) throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> problems = new ArrayList<>();
        int queries = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries++;
                for (String metric : referencedMetrics(target.path("expr").asText(""))) {
                    if (!exported.contains(metric) && !onlyAfterFirstOccurrence(metric)) {
                        problems.add(panel.path("title").asText() + ": " + metric + " is not exported");
                    }
                }
            }
        }
        assertThat(queries).as("queries in the dashboard").isGreaterThan(10);
        assertThat(problems).as("problems in docs/monitoring/grafana-dashboard.json").isEmpty();
    }

    /** Metric names in a PromQL expression, ignoring label values and template variables. */
    static Set<String> referencedMetrics(String expr) {
        String withoutStrings = QUOTED.matcher(expr).replaceAll("\"\"");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = METRIC.matcher(withoutStrings);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Family names of the {@code # TYPE} lines (counters include {@code _total}). */
    private static Set<String> typedFamilies(String scrape) {
        Set<String> out = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                out.add(line.split(" ")[2]);
            }
        }
        return out;
    }

    /** Every sample name of the scrape ({@code _count}, {@code _sum} included). */
    private static Set<String> metricNames(String scrape) {
        Set<String> out = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                int end = line.indexOf('{');
                out.add(line.substring(0, end >= 0 ? end : line.indexOf(' ')));
            }
        }
        return out;
    }

    private static boolean containsWord(String text, String word) {
        return Pattern.compile("(?<![a-z0-9_])" + Pattern.quote(word) + "(?![a-z0-9_])").matcher(text).find();
    }

    /** GitHub-style anchors of the Markdown headings. */
    private static Set<String> anchors(String markdown) {
        Set<String> out = new LinkedHashSet<>();
        for (String line : markdown.split("\n")) {
            if (line.startsWith("#")) {
                String title = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
                out.add(title.replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
            }
        }
        return out;
    }

    private static String sendTestEvent(String url, String... options) {
        List<String> args = new ArrayList<>(List.of("send-test-event", "--url", url));
        args.addAll(List.of(options));
        StringWriter out = new StringWriter();
        CommandLine cli = Pipeline.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        cli.execute(args.toArray(String[]::new));
        return out.toString();
    }

    private static HttpResponse<String> postSigned(String url, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10))
                .header("X-PagerDuty-Signature",
                        dev.pdpipeline.common.signature.WebhookSignature.header(LocalPipeline.LOCAL_WEBHOOK_SECRET, bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static void publishResult(String bootstrap, String topic, String value) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "Q1TESTINCIDENT", value)).get();
        }
    }

    /**
     * Just enough of PagerDuty's REST API for the notes writer: the first note write is answered
     * 429 (so the rate-limit meters exist), later ones 201; listing notes finds none.
     */
    private static HttpServer startFakePagerDuty(AtomicInteger noteWrites) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        server.createContext("/incidents/", exchange -> {
            String method = exchange.getRequestMethod();
            exchange.getRequestBody().readAllBytes();
            if ("POST".equals(method) && exchange.getRequestURI().getPath().endsWith("/notes")) {
                if (noteWrites.getAndIncrement() == 0) {
                    exchange.getResponseHeaders().add("ratelimit-reset", "0");
                    answer(exchange, 429, "{\"error\":{\"message\":\"Rate Limit Exceeded\",\"code\":2020}}");
                } else {
                    answer(exchange, 201, "{\"note\":{\"id\":\"PNOTE" + noteWrites.get() + "\",\"content\":\"\"}}");
                }
            } else if ("GET".equals(method)) {
                answer(exchange, 200, "{\"notes\":[]}");
            } else {
                answer(exchange, 200, "{\"incident\":{}}");
            }
        });
        server.start();
        return server;
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static String get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
