package dev.pdpipeline.processor.topology;

import static dev.pdpipeline.processor.fixtures.TestEvents.incident;
import static dev.pdpipeline.processor.fixtures.TestEvents.ingressHeaders;
import static dev.pdpipeline.processor.fixtures.TestEvents.utf8;
import static dev.pdpipeline.processor.fixtures.TestTriggers.trigger;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.Priority;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.dedup.DedupStore;
import dev.pdpipeline.processor.envelope.AgentRequestHeaders;
import dev.pdpipeline.processor.fixtures.TestEvents;
import dev.pdpipeline.processor.fixtures.TestTriggers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoutingTopologyTest {

    private static final String SECRET_A = "secret-of-subscription-a";
    private static final String SECRET_B = "secret-of-subscription-b";
    private static final Instant START = Instant.parse("2025-05-14T09:13:00Z");
    private static final TopicCatalogue TOPICS = TopicCatalogue.defaults();

    @TempDir
    Path stateDir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicReference<TriggerSet> triggers = new AtomicReference<>(TriggerSet.empty());
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> raw;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private void start(RoutingOptions options, Trigger... active) {
        start(options, triggers::get, active);
    }

    private void start(RoutingOptions options, Supplier<TriggerSet> supplier, Trigger... active) {
        triggers.set(new TriggerSet(List.of(active)));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "routing-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(RoutingTopology.build(TOPICS, supplier, options, registry), props, START);
        raw = driver.createInputTopic(TOPICS.raw(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private void start(Trigger... active) {
        start(RoutingOptions.defaults(), active);
    }

    private void send(String incidentId, byte[] body, Headers headers) {
        raw.pipeInput(new TestRecord<>(utf8(incidentId), body, headers, START));
    }

    private TestOutputTopic<byte[], byte[]> agentTopic(String agent) {
        return driver.createOutputTopic(TOPICS.agentTopic(agent), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    private TestOutputTopic<byte[], byte[]> deadLetters() {
        return driver.createOutputTopic(TOPICS.deadLetter(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private double decisions(String trigger, String outcome) {
        Counter c = registry.find(RoutingMetrics.DECISIONS).tag("trigger", trigger).tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private static JsonNode json(byte[] bytes) throws IOException {
        return Json.mapper().readTree(bytes);
    }

    private static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void routesMatchingEventAsVersionedEnvelopeKeyedByIncident() throws Exception {
        Trigger payments = TestTriggers.builder("payments-triage", "payments-agent", SECRET_A)
                .parameter("runbook", "https://runbooks.example.test/pay").build();
        start(payments);
        TestEvents.Incident event = incident("01HXTRIG0000000000000001", "Q2ZK8INC77");

        send("Q2ZK8INC77", event.bytes(), ingressHeaders("WH-1", SECRET_A));

        List<TestRecord<byte[], byte[]>> out = agentTopic("payments-agent").readRecordsToList();
        assertThat(out).hasSize(1);
        TestRecord<byte[], byte[]> request = out.get(0);
        assertThat(new String(request.key(), StandardCharsets.UTF_8)).isEqualTo("Q2ZK8INC77");
        assertThat(header(request.headers(), PipelineHeaders.WEBHOOK_ID)).isEqualTo("WH-1");
        assertThat(header(request.headers(), PipelineHeaders.RECEIVED_AT)).isEqualTo("2025-05-14T09:12:45.001Z");
        assertThat(header(request.headers(), AgentRequestHeaders.TRIGGER)).isEqualTo("payments-triage");
        assertThat(request.headers().lastHeader(PipelineHeaders.SECRET_FINGERPRINTS)).isNull();

        JsonNode body = json(request.value());
        String expectedId = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(utf8("01HXTRIG0000000000000001\npayments-triage"))).substring(0, 32);
        assertThat(body.get("schema_version").asInt()).isEqualTo(1);
        assertThat(body.get("request_id").asText()).isEqualTo(expectedId)
                .isEqualTo(header(request.headers(), AgentRequestHeaders.REQUEST_ID));
        assertThat(body.get("trigger").asText()).isEqualTo("payments-triage");
        assertThat(body.get("agent").asText()).isEqualTo("payments-agent");
        assertThat(body.get("bot_name").asText()).isEqualTo("bot-payments-triage");
        assertThat(body.get("parameters").get("runbook").asText()).isEqualTo("https://runbooks.example.test/pay");
        assertThat(body.get("metadata").get("event_id").asText()).isEqualTo("01HXTRIG0000000000000001");
        assertThat(body.get("metadata").get("incident_id").asText()).isEqualTo("Q2ZK8INC77");
        assertThat(body.get("metadata").get("priority").asText()).isEqualTo("P1");
        assertThat(body.get("text").asText()).isEqualTo("Checkout latency above SLO");
        assertThat(body.get("event")).isEqualTo(event.json().get("event"));
        assertThat(body.get("replay").asBoolean()).isFalse();
        assertThat(body.get("webhook_id").asText()).isEqualTo("WH-1");
        assertThat(body.get("received_at").asText()).isEqualTo("2025-05-14T09:12:45.001Z");
        assertThat(body.get("routed_at").asText()).isEqualTo(START.toString());
        String text = new String(request.value(), StandardCharsets.UTF_8);
        assertThat(text).doesNotContain(SECRET_A).doesNotContain("u+api-token");
        assertThat(decisions("payments-triage", "routed")).isEqualTo(1);
    }

    @Test
    void routesRedeliveredEventOnlyOnce() {
        start(trigger("t1", "agent-one", SECRET_A));
        byte[] body = incident("EV-1", "INC-1").bytes();

        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));
        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));
        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));

        assertThat(agentTopic("agent-one").readRecordsToList()).hasSize(1);
        assertThat(decisions("t1", "routed")).isEqualTo(1);
        assertThat(decisions("t1", "duplicate")).isEqualTo(2);
    }

    @Test
    void logsWhichTriggerMadeEachRequestOnceForTheNotesWriter() throws Exception {
        start(trigger("t1", "agent-one", SECRET_A), trigger("t2", "agent-two", SECRET_A));
        byte[] body = incident("EV-1", "INC-1").bytes();

        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));
        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));

        List<TestRecord<byte[], byte[]>> log = driver.createOutputTopic(TOPICS.requestLog(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer()).readRecordsToList();
        assertThat(log).hasSize(2);
        JsonNode first = json(log.get(0).value());
        String requestId = json(agentTopic("agent-one").readValue()).get("request_id").asText();
        assertThat(new String(log.get(0).key(), StandardCharsets.UTF_8)).isEqualTo(requestId);
        assertThat(first.get("request_id").asText()).isEqualTo(requestId);
        assertThat(first.get("trigger").asText()).isEqualTo("t1");
        assertThat(first.get("agent").asText()).isEqualTo("agent-one");
        assertThat(first.get("incident_id").asText()).isEqualTo("INC-1");
        assertThat(first.get("event_id").asText()).isEqualTo("EV-1");
        assertThat(first.get("replay").asBoolean()).isFalse();
        assertThat(first.get("write_back").asBoolean()).isTrue();
        assertThat(json(log.get(1).value()).get("trigger").asText()).isEqualTo("t2");
    }

    @Test
    void routesSameEventFromTwoSubscriptionsWithOneSecretOnlyOnce() {
        start(trigger("t1", "agent-one", SECRET_A));
        byte[] body = incident("EV-1", "INC-1").bytes();

        send("INC-1", body, ingressHeaders("WH-sub1", SECRET_A));
        send("INC-1", body, ingressHeaders("WH-sub2", SECRET_A));

        List<TestRecord<byte[], byte[]>> out = agentTopic("agent-one").readRecordsToList();
        assertThat(out).hasSize(1);
        assertThat(header(out.get(0).headers(), PipelineHeaders.WEBHOOK_ID)).isEqualTo("WH-sub1");
    }

    @Test
    void routesSameEventFromTwoSubscriptionsWithTwoSecretsOncePerTrigger() {
        start(trigger("ta", "shared-agent", SECRET_A), trigger("tb", "shared-agent", SECRET_B));
        byte[] body = incident("EV-1", "INC-1").bytes();

        send("INC-1", body, ingressHeaders("WH-sub1", SECRET_A));
        send("INC-1", body, ingressHeaders("WH-sub2", SECRET_B));
        send("INC-1", body, ingressHeaders("WH-sub1", SECRET_A)); // a retry of the first

        List<TestRecord<byte[], byte[]>> out = agentTopic("shared-agent").readRecordsToList();
        assertThat(out).extracting(r -> header(r.headers(), AgentRequestHeaders.TRIGGER)).containsExactly("ta", "tb");
        assertThat(decisions("ta", "duplicate")).isEqualTo(1);
    }

    @Test
    void routesAgainAfterTheDedupWindowAndPurgesExpiredEntries() {
        RoutingOptions options = new RoutingOptions(Duration.ofHours(2), Duration.ofMinutes(1), 100);
        start(options, trigger("t1", "agent-one", SECRET_A));
        byte[] body = incident("EV-1", "INC-1").bytes();
        KeyValueStore<String, Long> store = driver.getKeyValueStore(DedupStore.STORE_NAME);

        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));
        driver.advanceWallClockTime(Duration.ofMinutes(119));
        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));
        assertThat(agentTopic("agent-one").readRecordsToList()).hasSize(1);
        assertThat(count(store)).isEqualTo(1);

        driver.advanceWallClockTime(Duration.ofMinutes(2)); // past the window; the purge runs
        assertThat(count(store)).isZero();
        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));

        assertThat(agentTopic("agent-one").readRecordsToList()).hasSize(1);
        assertThat(decisions("t1", "routed")).isEqualTo(2);
        assertThat(registry.find(RoutingMetrics.DEDUP_PURGED).counter().count()).isEqualTo(1);
    }

    @Test
    void treatsAnExpiredEntryAsNewEvenBeforeThePurgeRuns() {
        RoutingOptions options = new RoutingOptions(Duration.ofHours(1), Duration.ofDays(1), 100);
        start(options, trigger("t1", "agent-one", SECRET_A));
        byte[] body = incident("EV-1", "INC-1").bytes();

        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));
        driver.advanceWallClockTime(Duration.ofMinutes(61));
        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));

        assertThat(agentTopic("agent-one").readRecordsToList()).hasSize(2);
    }

    @Test
    void fansOutToEveryMatchingTriggerOnItsAgentTopic() {
        start(trigger("diagnose", "diagnostic-agent", SECRET_A), trigger("notify", "notifier", SECRET_A));

        send("INC-1", incident("EV-1", "INC-1").bytes(), ingressHeaders("WH-1", SECRET_A));

        List<TestRecord<byte[], byte[]>> diagnostic = agentTopic("diagnostic-agent").readRecordsToList();
        List<TestRecord<byte[], byte[]>> notifier = agentTopic("notifier").readRecordsToList();
        assertThat(diagnostic).hasSize(1);
        assertThat(notifier).hasSize(1);
        assertThat(header(diagnostic.get(0).headers(), AgentRequestHeaders.TRIGGER)).isEqualTo("diagnose");
        assertThat(header(notifier.get(0).headers(), AgentRequestHeaders.TRIGGER)).isEqualTo("notify");
    }

    @Test
    void routesOnlyTriggersWhoseSecretSignedTheDelivery() {
        start(trigger("ta", "agent-a", SECRET_A), trigger("tb", "agent-b", SECRET_B));

        send("INC-1", incident("EV-1", "INC-1").bytes(), ingressHeaders("WH-1", SECRET_A));

        assertThat(agentTopic("agent-a").readRecordsToList()).hasSize(1);
        assertThat(agentTopic("agent-b").isEmpty()).isTrue();
        assertThat(decisions("tb", "routed") + decisions("tb", "duplicate")).isZero();
    }

    @Test
    void routesEveryTriggerOfEverySecretThatSignedTheDelivery() {
        start(trigger("ta", "agent-a", SECRET_A), trigger("tb", "agent-b", SECRET_B));

        send("INC-1", incident("EV-1", "INC-1").bytes(), ingressHeaders("WH-1", SECRET_A, SECRET_B));

        assertThat(agentTopic("agent-a").readRecordsToList()).hasSize(1);
        assertThat(agentTopic("agent-b").readRecordsToList()).hasSize(1);
    }

    @Test
    void doesNotRouteDisabledTrigger() {
        start(TestTriggers.builder("off", "agent-off", SECRET_A).enabled(false).build());

        send("INC-1", incident("EV-1", "INC-1").bytes(), ingressHeaders("WH-1", SECRET_A));

        assertThat(agentTopic("agent-off").isEmpty()).isTrue();
        assertThat(decisions("off", "disabled")).isEqualTo(1);
        assertThat(registry.find(RoutingMetrics.UNMATCHED).counter().count()).isEqualTo(1);
        assertThat(deadLetters().isEmpty()).isTrue();
    }

    @Test
    void countsEveryDecisionByOutcome() {
        start(TestTriggers.builder("p1-only", "agent-a", SECRET_A).minPriority(Priority.P1).build(),
                TestTriggers.builder("resolved-only", "agent-b", SECRET_A).eventTypes("incident.resolved").build(),
                TestTriggers.builder("payments", "agent-c", SECRET_A).filter("service_name", "payment-service").build());

        send("INC-1", incident("EV-1", "INC-1").priority("P3").service("PSVC9", "search").bytes(),
                ingressHeaders("WH-1", SECRET_A));
        send("INC-2", incident("EV-2", "INC-2").priority("P1").bytes(), ingressHeaders("WH-2", SECRET_A));
        send("INC-2", incident("EV-2", "INC-2").priority("P1").bytes(), ingressHeaders("WH-2", SECRET_A));

        assertThat(decisions("p1-only", "rejected_min_priority")).isEqualTo(1);
        assertThat(decisions("p1-only", "routed")).isEqualTo(1);
        assertThat(decisions("p1-only", "duplicate")).isEqualTo(1);
        assertThat(decisions("resolved-only", "rejected_event_types")).isEqualTo(3);
        assertThat(decisions("payments", "rejected_filter")).isEqualTo(1);
        assertThat(decisions("payments", "routed")).isEqualTo(1);
        assertThat(agentTopic("agent-b").isEmpty()).isTrue();
    }

    @Test
    void deadLettersNonJsonWithOriginalBytesHeadersAndReason() {
        start(trigger("t1", "agent-one", SECRET_A));
        byte[] garbage = {'n', 'o', 't', ' ', 'j', 's', 'o', 'n', (byte) 0xff};
        send("INC-1", incident("EV-0", "INC-1").bytes(), ingressHeaders("WH-0", SECRET_A)); // offset 0
        Headers headers = ingressHeaders("WH-1", SECRET_A);

        send("INC-1", garbage, headers); // offset 1

        List<TestRecord<byte[], byte[]>> dead = deadLetters().readRecordsToList();
        assertThat(dead).hasSize(1);
        TestRecord<byte[], byte[]> record = dead.get(0);
        assertThat(record.key()).isEqualTo(utf8("INC-1"));
        assertThat(record.value()).isEqualTo(garbage);
        for (Header original : headers) {
            assertThat(record.headers().lastHeader(original.key()).value()).isEqualTo(original.value());
        }
        assertThat(header(record.headers(), PipelineHeaders.DLQ_REASON)).isEqualTo("not_json");
        assertThat(header(record.headers(), PipelineHeaders.DLQ_DETAIL)).isNotBlank();
        assertThat(header(record.headers(), PipelineHeaders.DLQ_SOURCE_TOPIC)).isEqualTo(TOPICS.raw());
        assertThat(header(record.headers(), PipelineHeaders.DLQ_SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(record.headers(), PipelineHeaders.DLQ_SOURCE_OFFSET)).isEqualTo("1");
        assertThat(Instant.parse(header(record.headers(), PipelineHeaders.DLQ_AT))).isEqualTo(START);
        assertThat(registry.find(RoutingMetrics.DEAD_LETTERS).tag("reason", "not_json").counter().count())
                .isEqualTo(1);
        assertThat(agentTopic("agent-one").readRecordsToList()).hasSize(1); // processing went on
    }

    @Test
    void deadLettersEventWithoutId() throws Exception {
        start(trigger("t1", "agent-one", SECRET_A));
        var json = incident("EV-1", "INC-1").json();
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("event")).remove("id");
        byte[] body = Json.mapper().writeValueAsBytes(json);

        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));

        TestRecord<byte[], byte[]> record = deadLetters().readRecord();
        assertThat(record.value()).isEqualTo(body);
        assertThat(header(record.headers(), PipelineHeaders.DLQ_REASON)).isEqualTo("missing_event_id");
        assertThat(agentTopic("agent-one").isEmpty()).isTrue();
    }

    @Test
    void deadLettersRecordWithoutFingerprintHeader() {
        start(trigger("t1", "agent-one", SECRET_A));
        Headers headers = new RecordHeaders().add(PipelineHeaders.WEBHOOK_ID, utf8("WH-1"));

        send("INC-1", incident("EV-1", "INC-1").bytes(), headers);

        TestRecord<byte[], byte[]> record = deadLetters().readRecord();
        assertThat(header(record.headers(), PipelineHeaders.DLQ_REASON)).isEqualTo("no_fingerprint");
        assertThat(agentTopic("agent-one").isEmpty()).isTrue();
    }

    @Test
    void deadLettersRecordWhoseHandlingFailsUnexpectedlyAndGoesOn() {
        AtomicReference<Boolean> fail = new AtomicReference<>(true);
        start(RoutingOptions.defaults(), () -> {
            if (fail.get()) {
                throw new IllegalStateException("trigger source broken");
            }
            return triggers.get();
        }, trigger("t1", "agent-one", SECRET_A));

        send("INC-1", incident("EV-1", "INC-1").bytes(), ingressHeaders("WH-1", SECRET_A));
        fail.set(false);
        send("INC-2", incident("EV-2", "INC-2").bytes(), ingressHeaders("WH-2", SECRET_A));

        TestRecord<byte[], byte[]> record = deadLetters().readRecord();
        assertThat(header(record.headers(), PipelineHeaders.DLQ_REASON)).isEqualTo("processing_error");
        assertThat(header(record.headers(), PipelineHeaders.DLQ_DETAIL)).contains("trigger source broken");
        assertThat(agentTopic("agent-one").readRecordsToList()).hasSize(1);
    }

    @Test
    void countsPingWithoutRoutingIt() {
        start(trigger("t1", "agent-one", SECRET_A));

        send("PING", TestEvents.ping("EV-PING"), ingressHeaders("WH-1", SECRET_A));

        assertThat(registry.find(RoutingMetrics.PINGS).counter().count()).isEqualTo(1);
        assertThat(agentTopic("agent-one").isEmpty()).isTrue();
        assertThat(deadLetters().isEmpty()).isTrue();
    }

    @Test
    void routesWithTheReloadedTriggerSetFromTheNextRecord() {
        start(trigger("old", "old-agent", SECRET_A));
        send("INC-1", incident("EV-1", "INC-1").bytes(), ingressHeaders("WH-1", SECRET_A));

        triggers.set(new TriggerSet(List.of(trigger("new", "new-agent", SECRET_A))));
        send("INC-2", incident("EV-2", "INC-2").bytes(), ingressHeaders("WH-2", SECRET_A));

        assertThat(agentTopic("old-agent").readRecordsToList()).hasSize(1);
        List<TestRecord<byte[], byte[]>> fresh = agentTopic("new-agent").readRecordsToList();
        assertThat(fresh).hasSize(1);
        assertThat(fresh.get(0).key()).isEqualTo(utf8("INC-2"));
    }

    private static long count(KeyValueStore<String, Long> store) {
        long n = 0;
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, Long> ignored = it.next();
                n++;
            }
        }
        return n;
    }
}
