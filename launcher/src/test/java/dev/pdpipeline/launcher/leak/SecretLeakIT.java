package dev.pdpipeline.launcher.leak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.sun.net.httpserver.HttpServer;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.launcher.local.LocalPipeline;
import dev.pdpipeline.launcher.sample.SampleEvents;
import dev.pdpipeline.processor.notes.NotesConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Runs the whole pipeline with known secrets, drives good and bad traffic through it, then reads
 * everything it produced (logs at DEBUG for our code, /metrics, /health, every Kafka record's key,
 * value and headers, dead letters, HTTP answers, configuration errors) and requires that no secret
 * appears in any of it, in plain, hex or base64 form. The signatures sent are checked too.
 */
class SecretLeakIT {

    private static final String WEBHOOK_SECRET = "leak-webhook-secret-5f1e2d3c";
    private static final String TRIGGER_TOKEN = "leak-trigger-token-9a8b7c6d";
    private static final String GLOBAL_TOKEN = "leak-global-token-1c2d3e4f";
    private static final String HEADER_SECRET = "leak-header-secret-77aa88bb";
    /** In bodies that fail authentication: must reach no topic. */
    private static final String UNAUTHENTICATED_MARKER = "UNAUTHENTICATED-BODY-4d3c2b1a";
    private static final String AGENT = "diagnostic-agent";

    @TempDir
    Path dir;

    private final List<String> logs = new CopyOnWriteArrayList<>();
    /** The same events as LOG_FORMAT=json writes them (the launcher's logback.xml encoder). */
    private final List<String> jsonLogs = new CopyOnWriteArrayList<>();
    private net.logstash.logback.encoder.LogstashEncoder jsonEncoder;
    private final List<String> signaturesSent = new CopyOnWriteArrayList<>();
    private final Map<String, String> produced = new ConcurrentHashMap<>();
    private final List<String> authorizationsSeen = new CopyOnWriteArrayList<>();
    private final AtomicInteger notesCalls = new AtomicInteger();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private AppenderBase<ILoggingEvent> capture;
    private Map<Logger, Level> savedLevels;
    private HttpServer pagerDuty;

    @BeforeEach
    void captureLogs() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        jsonEncoder = new net.logstash.logback.encoder.LogstashEncoder();
        jsonEncoder.setContext(context);
        jsonEncoder.start();
        capture = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ')
                        .append(event.getFormattedMessage());
                if (event.getThrowableProxy() != null) {
                    line.append('\n').append(ThrowableProxyUtil.asString(event.getThrowableProxy()));
                }
                logs.add(line.toString());
                jsonLogs.add(new String(jsonEncoder.encode(event), StandardCharsets.UTF_8));
            }
        };
        capture.setContext(context);
        capture.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(capture);
        savedLevels = new HashMap<>();
        for (String name : List.of(org.slf4j.Logger.ROOT_LOGGER_NAME, "dev.pdpipeline", "org.apache.kafka.clients",
                "org.apache.kafka.streams", "io.javalin", "org.eclipse.jetty")) {
            Logger logger = context.getLogger(name);
            savedLevels.put(logger, logger.getLevel());
        }
        context.getLogger("dev.pdpipeline").setLevel(Level.DEBUG);
        // client configuration dumps (INFO) are where credentials would show first
        context.getLogger("org.apache.kafka.clients").setLevel(Level.INFO);
        context.getLogger("org.apache.kafka.streams").setLevel(Level.INFO);
        context.getLogger("io.javalin").setLevel(Level.INFO);
        context.getLogger("org.eclipse.jetty").setLevel(Level.INFO);
    }

    @AfterEach
    void restore() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(capture);
        capture.stop();
        savedLevels.forEach(Logger::setLevel);
        if (pagerDuty != null) {
            pagerDuty.stop(0);
        }
    }

    @Test
    void noSecretReachesLogsMetricsTopicsOrAnswers() throws Exception {
        startFakePagerDuty();
        Path triggers = Files.createDirectories(dir.resolve("triggers"));
        Files.writeString(triggers.resolve("leak.yaml"), """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: leak-own-token
                spec:
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${LEAK_WEBHOOK_SECRET}
                      api_token: ${LEAK_API_TOKEN}
                      from_email: bot@example.test
                      event_types: [incident.triggered]
                  agent: %s
                ---
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: leak-global-token
                spec:
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${LEAK_WEBHOOK_SECRET}
                      event_types: [incident.acknowledged]
                  agent: %s
                """.formatted(AGENT, AGENT));
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:" + freePort());
        env.put("LOCAL_DATA_DIR", dir.resolve("data").toString());
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("INGRESS_PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("CONSOLE_PORT", "0");
        env.put("LEAK_WEBHOOK_SECRET", WEBHOOK_SECRET);
        env.put("LEAK_API_TOKEN", TRIGGER_TOKEN);
        env.put("PAGERDUTY_API_TOKEN", GLOBAL_TOKEN);
        env.put("PAGERDUTY_FROM_EMAIL", "global-bot@example.test");
        env.put("PAGERDUTY_API_URL", "http://127.0.0.1:" + pagerDuty.getAddress().getPort());
        env.put("PAGERDUTY_RETRY_MAX_DURATION_MS", "2000");
        env.put("PAGERDUTY_RETRY_INITIAL_BACKOFF_MS", "100");
        env.put("PAGERDUTY_RETRY_MAX_BACKOFF_MS", "200");
        env.put("INGRESS_REQUIRED_HEADER_NAME", "X-Leak-Guard");
        env.put("INGRESS_REQUIRED_HEADER_VALUE", HEADER_SECRET);
        Map<String, String> localEnv = LocalPipeline.withLocalDefaults(env, dir);

        try (LocalPipeline pipeline = LocalPipeline.start(localEnv)) {
            await().atMost(Duration.ofSeconds(90)).until(pipeline::isReady);
            int port = pipeline.ingressPort();

            // good deliveries, routed to the agent; the agent answers, notes go to the fake API
            for (int i = 0; i < 3; i++) {
                expect(post(port, SampleEvents.delivery(spec("incident.triggered", "leak-ok-" + i, "QLEAK" + i)),
                        WEBHOOK_SECRET, true), 202);
            }
            expect(post(port, SampleEvents.delivery(spec("incident.acknowledged", "leak-ack-1", "QLEAKACK")),
                    WEBHOOK_SECRET, true), 202);
            // the incident whose note write the fake API refuses (401), exercising the error paths
            expect(post(port, SampleEvents.delivery(spec("incident.triggered", "leak-refused", "QREFUSED")),
                    WEBHOOK_SECRET, true), 202);

            // bad signatures, including one that carries the secret itself as the "signature"
            byte[] forged = ("{\"event\":{\"id\":\"forged\",\"event_type\":\"incident.triggered\",\"note\":\""
                    + UNAUTHENTICATED_MARKER + "\"}}").getBytes(StandardCharsets.UTF_8);
            expect(post(port, forged, "wrong-secret", true), 401);
            expect(send(port, forged, "v1=" + WEBHOOK_SECRET, true), 401);
            expect(send(port, forged, WEBHOOK_SECRET, true), 401);
            expect(send(port, forged, null, true), 401);
            // the required header: missing, and wrong with a value next to the real one
            expect(post(port, forged, WEBHOOK_SECRET, false), 403);
            expect(sendWithGuard(port, SampleEvents.delivery(spec("incident.triggered", "leak-guard", "QGUARD")),
                    HEADER_SECRET + "x"), 403);

            // authenticated but malformed: published, then dead-lettered by the processor
            expect(post(port, "this is not json".getBytes(StandardCharsets.UTF_8), WEBHOOK_SECRET, true), 202);
            expect(post(port, "{\"event\":{\"event_type\":\"incident.triggered\"}}".getBytes(StandardCharsets.UTF_8),
                    WEBHOOK_SECRET, true), 202);
            // an invalid agent result: dead-lettered by the notes writer
            try (KafkaProducer<byte[], byte[]> producer = producer(pipeline.bootstrapServers())) {
                producer.send(new ProducerRecord<>(pipeline.topics().results(), "QLEAK0".getBytes(StandardCharsets.UTF_8),
                        "{\"not\":\"a result\"}".getBytes(StandardCharsets.UTF_8))).get();
            }

            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                assertThat(recordCount(pipeline.bootstrapServers(), pipeline.topics().deadLetter())).isGreaterThanOrEqualTo(2);
                assertThat(recordCount(pipeline.bootstrapServers(), pipeline.topics().resultsDeadLetter()))
                        .isGreaterThanOrEqualTo(1);
                assertThat(authorizationsSeen).anySatisfy(a -> assertThat(a).contains(TRIGGER_TOKEN));
                assertThat(authorizationsSeen).anySatisfy(a -> assertThat(a).contains(GLOBAL_TOKEN));
                assertThat(notesCalls.get()).isGreaterThanOrEqualTo(5);
            });

            int management = pipeline.managementPort();
            for (String path : List.of("/metrics", "/health/live", "/health/ready", "/nothing")) {
                produced.put("management " + path, get(management, path));
            }
            produced.put("webhook GET", get(port, "/webhooks/pagerduty"));
            produced.put("webhook 404", get(port, "/admin"));
            scanKafka(pipeline.bootstrapServers());
        }

        // configuration errors that involve the secrets
        configurationErrors(triggers);

        assertThat(logs).as("captured log lines").isNotEmpty();
        assertThat(produced.keySet()).as("sources scanned").anyMatch(k -> k.startsWith("kafka "))
                .anyMatch(k -> k.startsWith("http ")).contains("management /metrics");
        List<String> forbidden = forbiddenStrings();
        List<String> findings = new ArrayList<>();
        for (String line : logs) {
            forbidden.stream().filter(line::contains).forEach(f -> findings.add("log: " + abbreviate(line, f)));
        }
        for (String line : jsonLogs) {
            forbidden.stream().filter(line::contains).forEach(f -> findings.add("json log: " + abbreviate(line, f)));
        }
        assertJsonLogsCarryTheRecordContext();
        produced.forEach((source, text) -> forbidden.stream().filter(text::contains)
                .forEach(f -> findings.add(source + ": " + abbreviate(text, f))));
        produced.entrySet().stream().filter(e -> e.getKey().startsWith("kafka "))
                .filter(e -> e.getValue().contains(UNAUTHENTICATED_MARKER))
                .forEach(e -> findings.add(e.getKey() + ": unauthenticated body stored"));
        assertThat(findings).as("secrets found").isEmpty();
        // control: the same scan does see the tokens where they belong (the API's Authorization header)
        assertThat(authorizationsSeen.stream().filter(a -> forbidden.stream().anyMatch(a::contains)).count())
                .isEqualTo(authorizationsSeen.size());
    }

    /** The secrets in plain, hex and base64 (both alphabets) form, and every signature sent. */
    private List<String> forbiddenStrings() {
        List<String> out = new ArrayList<>();
        for (String secret : List.of(WEBHOOK_SECRET, TRIGGER_TOKEN, GLOBAL_TOKEN, HEADER_SECRET)) {
            byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
            out.add(secret);
            out.add(HexFormat.of().formatHex(bytes));
            out.add(HexFormat.of().withUpperCase().formatHex(bytes));
            out.add(Base64.getEncoder().withoutPadding().encodeToString(bytes));
            out.add(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        }
        signaturesSent.stream().filter(s -> s.length() == 64).forEach(out::add);
        return out;
    }

    private void configurationErrors(Path triggers) throws IOException {
        Path literal = Files.writeString(dir.resolve("bad-literal.yaml"), """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: bad
                spec:
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: %s
                      api_token: %s
                      min_priority: P9
                  agent: a
                """.formatted(WEBHOOK_SECRET, TRIGGER_TOKEN));
        Path misplaced = Files.writeString(dir.resolve("bad-reference.yaml"), """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: bad
                spec:
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${LEAK_WEBHOOK_SECRET}
                      min_urgency: ${LEAK_API_TOKEN}
                  agent: a
                """);
        Path broken = Files.writeString(dir.resolve("bad-yaml.yaml"), "spec:\n  platform:\n    config:\n"
                + "      webhook_secret: \"" + WEBHOOK_SECRET + "\n   api_token: *" + TRIGGER_TOKEN + "\n");
        Map<String, String> env = Map.of("LEAK_WEBHOOK_SECRET", WEBHOOK_SECRET, "LEAK_API_TOKEN", TRIGGER_TOKEN);
        for (Path file : List.of(literal, misplaced, broken)) {
            assertThatThrownBy(() -> new TriggerLoader(env).load(file))
                    .satisfies(e -> produced.put("exception " + file.getFileName(), describe(e)));
        }

        Map<String, String> base = new HashMap<>();
        base.put("TRIGGERS_PATH", triggers.toString());
        base.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:1");
        List<Map<String, String>> bad = List.of(
                Map.of("INGRESS_REQUIRED_HEADER_VALUE", HEADER_SECRET),
                Map.of("INGRESS_TLS_KEYSTORE_PASSWORD", HEADER_SECRET),
                Map.of("INGRESS_TLS_KEYSTORE_PATH", dir.resolve("missing.p12").toString(),
                        "INGRESS_TLS_KEYSTORE_PASSWORD", HEADER_SECRET),
                Map.of("INGRESS_REQUIRED_HEADER_NAME", "bad name", "INGRESS_REQUIRED_HEADER_VALUE", HEADER_SECRET));
        for (Map<String, String> extra : bad) {
            Map<String, String> env2 = new HashMap<>(base);
            env2.putAll(extra);
            assertThatThrownBy(() -> IngressConfig.fromEnv(env2))
                    .satisfies(e -> produced.put("exception ingress config " + extra.keySet(), describe(e)));
        }
        Map<String, String> processorEnv = new HashMap<>(base);
        processorEnv.put("PAGERDUTY_API_TOKEN", GLOBAL_TOKEN);
        processorEnv.put("PAGERDUTY_API_URL", "not a url " + GLOBAL_TOKEN.substring(0, 4));
        processorEnv.put("LEAK_WEBHOOK_SECRET", WEBHOOK_SECRET);
        processorEnv.put("LEAK_API_TOKEN", TRIGGER_TOKEN);
        assertThatThrownBy(() -> NotesConfig.fromEnv(processorEnv))
                .satisfies(e -> produced.put("exception notes config", describe(e)));


        Map<String, String> startEnv = new HashMap<>(base);
        startEnv.putAll(env);
        startEnv.put("TRIGGERS_PATH", literal.toString());
        startEnv.put("LOCAL_DATA_DIR", dir.resolve("data2").toString());
        startEnv.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:" + freePort());
        startEnv.put("INGRESS_PORT", "0");
        startEnv.put("MANAGEMENT_PORT", "0");
        startEnv.put("CONSOLE_PORT", "0");
        assertThatThrownBy(() -> LocalPipeline.start(LocalPipeline.withLocalDefaults(startEnv, dir)).close())
                .satisfies(e -> produced.put("exception local start", describe(e)));
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t).append('\n');
        }
        return b.toString();
    }

    private void scanKafka(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
            Map<String, TopicDescription> descriptions = admin.describeTopics(topics).allTopicNames().get();
            List<TopicPartition> partitions = descriptions.values().stream()
                    .flatMap(d -> d.partitions().stream().map(p -> new TopicPartition(d.name(), p.partition())))
                    .collect(Collectors.toList());
            Properties props = new Properties();
            props.put("bootstrap.servers", bootstrap);
            props.put("isolation.level", "read_uncommitted");
            try (KafkaConsumer<byte[], byte[]> consumer =
                    new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                Map<String, StringBuilder> byTopic = new HashMap<>();
                topics.forEach(t -> byTopic.put(t, new StringBuilder()));
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        StringBuilder text = byTopic.get(r.topic());
                        text.append(string(r.key())).append('\u0000').append(string(r.value())).append('\u0000');
                        for (Header h : r.headers()) {
                            text.append(h.key()).append('=').append(string(h.value())).append('\u0000');
                        }
                    }
                    return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
                });
                byTopic.forEach((topic, text) -> produced.put("kafka " + topic, text.toString()));
            }
        }
    }

    private static String string(byte[] bytes) {
        return bytes == null ? "" : new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static long recordCount(String bootstrap, String topic) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            long total = 0;
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
            for (Map.Entry<TopicPartition, Long> e : consumer.endOffsets(partitions).entrySet()) {
                total += e.getValue() - begin.get(e.getKey());
            }
            return total;
        } catch (org.apache.kafka.common.KafkaException e) {
            return 0;
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private void startFakePagerDuty() throws IOException {
        pagerDuty = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pagerDuty.createContext("/", exchange -> {
            notesCalls.incrementAndGet();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            authorizationsSeen.add(auth == null ? "" : auth);
            exchange.getRequestBody().readAllBytes();
            boolean refused = exchange.getRequestURI().getPath().contains("QREFUSED");
            byte[] answer = (refused ? "{\"error\":{\"message\":\"Invalid token\",\"code\":2006}}"
                    : "{\"note\":{\"id\":\"PNOTE" + notesCalls.get() + "\",\"content\":\"ok\"}}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(refused ? 401 : 201, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        pagerDuty.start();
    }

    private static SampleEvents.Spec spec(String type, String eventId, String incident) {
        SampleEvents.Spec d = SampleEvents.Spec.defaults();
        return new SampleEvents.Spec(type, eventId, incident, d.incidentNumber(), d.title(), d.priority(), d.urgency(),
                d.serviceId(), d.serviceName(), d.teamId(), d.teamName(), d.occurredAt());
    }

    private HttpResponse<String> post(int port, byte[] body, String secret, boolean guard) throws Exception {
        String signature = sign(secret, body);
        signaturesSent.add(signature);
        return send(port, body, "v1=" + signature, guard);
    }

    private HttpResponse<String> send(int port, byte[] body, String signatureHeader, boolean guard) throws Exception {
        return sendRaw(port, body, signatureHeader, guard ? HEADER_SECRET : null);
    }

    private HttpResponse<String> sendWithGuard(int port, byte[] body, String guardValue) throws Exception {
        String signature = sign(WEBHOOK_SECRET, body);
        signaturesSent.add(signature);
        return sendRaw(port, body, "v1=" + signature, guardValue);
    }

    private HttpResponse<String> sendRaw(int port, byte[] body, String signatureHeader, String guardValue)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/webhooks/pagerduty"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Webhook-Id", "leak-" + System.nanoTime())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (signatureHeader != null) {
            request.header("X-PagerDuty-Signature", signatureHeader);
        }
        if (guardValue != null) {
            request.header("X-Leak-Guard", guardValue);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        produced.put("http " + response.statusCode() + " #" + produced.size(),
                response.headers().map() + "\n" + response.body());
        return response;
    }

    private static void expect(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    }

    private String get(int port, String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.headers().map() + "\n" + response.body();
    }

    private static String sign(String secret, byte[] body) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }

    /**
     * LOG_FORMAT=json: one JSON object per line, and the routing lines carry the event id, the
     * incident, the trigger and the record's topic/partition/offset as fields of their own.
     */
    private void assertJsonLogsCarryTheRecordContext() throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        List<com.fasterxml.jackson.databind.JsonNode> parsed = new ArrayList<>();
        for (String line : jsonLogs) {
            assertThat(line.strip().lines().count()).as("one line per event: %s", line).isEqualTo(1);
            parsed.add(mapper.readTree(line));
        }
        assertThat(parsed).allMatch(j -> j.isObject() && j.has("message") && j.has("level") && j.has("@timestamp"));
        assertThat(parsed).anySatisfy(j -> {
            assertThat(j.path("event_id").asText()).startsWith("leak-ok-");
            assertThat(j.path("incident").asText()).startsWith("QLEAK");
            assertThat(j.path("trigger").asText()).isEqualTo("leak-own-token");
            assertThat(j.path("topic").asText()).isEqualTo("pagerduty.webhooks.raw");
            assertThat(j.path("partition").asText()).matches("\\d+");
            assertThat(j.path("offset").asText()).matches("\\d+");
        });
    }

    private static String abbreviate(String text, String found) {
        int at = text.indexOf(found);
        return "[" + found.substring(0, Math.min(6, found.length())) + "...] in ..."
                + text.substring(Math.max(0, at - 120), Math.min(text.length(), at + found.length() + 40))
                .replace(found, "<SECRET>") + "...";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
