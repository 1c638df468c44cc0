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
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.decisions.DecisionRecord;
import dev.pdpipeline.processor.dedup.DedupStore;
import dev.pdpipeline.processor.envelope.AgentRequestEnvelope;
import dev.pdpipeline.processor.envelope.AgentRequests;
import dev.pdpipeline.processor.fixtures.TestEvents;
import dev.pdpipeline.processor.fixtures.TestTriggers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.header.Headers;
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

/** The decisions record of every outcome, and routing that is all-or-nothing per raw record. */
class DecisionsRecordTopologyTest {

    private static final String SECRET_A = "secret-of-subscription-a";
    private static final String SECRET_B = "secret-of-subscription-b";
    private static final Instant START = Instant.parse("2025-05-14T09:13:00Z");
    private static final TopicCatalogue TOPICS = TopicCatalogue.defaults();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> raw;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private void start(RoutingProcessor.RequestFactory requests, Trigger... active) {
        TriggerSet set = new TriggerSet(List.of(active));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "decisions-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(RoutingTopology.build(TOPICS, () -> set, RoutingOptions.defaults(),
                new SimpleMeterRegistry(), requests), props, START);
        raw = driver.createInputTopic(TOPICS.raw(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private void start(Trigger... active) {
        start(RoutingProcessor.RequestFactory.live(), active);
    }

    private void send(String key, byte[] body, Headers headers) {
        raw.pipeInput(new TestRecord<>(utf8(key), body, headers, START));
    }

    private TestOutputTopic<byte[], byte[]> topic(String name) {
        return driver.createOutputTopic(name, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private List<JsonNode> decisions() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (TestRecord<byte[], byte[]> r : topic(TOPICS.decisions()).readRecordsToList()) {
            out.add(Json.mapper().readTree(r.value()));
        }
        return out;
    }

    private static JsonNode triggerEntry(JsonNode decision, String trigger) {
        for (JsonNode t : decision.get("triggers")) {
            if (t.get("trigger").asText().equals(trigger)) {
                return t;
            }
        }
        throw new AssertionError("no entry for " + trigger + " in " + decision);
    }

    private List<String> dedupKeys() {
        KeyValueStore<String, Long> store = driver.getKeyValueStore(DedupStore.STORE_NAME);
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, Long> e = it.next();
                keys.add(e.key.replace('\u0000', '/'));
            }
        }
        return keys;
    }

    @Test
    void recordsARoutedEventWithEveryTriggersDecisionKeyedByTheRawKey() throws Exception {
        start(trigger("routes", "agent-one", SECRET_A),
                TestTriggers.builder("p1-only", "agent-two", SECRET_A).minPriority(Priority.P1).build(),
                TestTriggers.builder("off", "agent-three", SECRET_A).enabled(false).build(),
                trigger("elsewhere", "agent-four", SECRET_B));

        send("Q1INC", incident("EV-1", "Q1INC").priority("P3").title("Checkout <b>slow</b>").bytes(),
                ingressHeaders("WH-1", SECRET_A));

        List<TestRecord<byte[], byte[]>> records = topic(TOPICS.decisions()).readRecordsToList();
        assertThat(records).hasSize(1);
        assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("Q1INC");
        assertThat(records.get(0).timestamp()).as("the raw record's time, so time ranges select both alike")
                .isEqualTo(START.toEpochMilli());
        JsonNode d = Json.mapper().readTree(records.get(0).value());
        assertThat(d.get("schema_version").asInt()).isEqualTo(1);
        assertThat(d.get("event_id").asText()).isEqualTo("EV-1");
        assertThat(d.get("event_type").asText()).isEqualTo("incident.triggered");
        assertThat(d.get("occurred_at").asText()).isEqualTo("2025-05-14T09:12:44.512Z");
        assertThat(d.get("incident").get("id").asText()).isEqualTo("Q1INC");
        assertThat(d.get("incident").get("number").asLong()).isEqualTo(4711);
        assertThat(d.get("incident").get("title").asText()).isEqualTo("Checkout <b>slow</b>");
        assertThat(d.get("incident").get("service_name").asText()).isEqualTo("payment-service");
        assertThat(d.get("incident").get("priority").asText()).isEqualTo("P3");
        assertThat(d.get("webhook_id").asText()).isEqualTo("WH-1");
        assertThat(d.get("received_at").asText()).isEqualTo("2025-05-14T09:12:45.001Z");
        assertThat(Instant.parse(d.get("decided_at").asText())).isNotNull();
        assertThat(d.get("source").get("topic").asText()).isEqualTo(TOPICS.raw());
        assertThat(d.get("source").get("partition").asInt()).isZero();
        assertThat(d.get("source").get("offset").asLong()).isZero();
        assertThat(d.get("outcome").asText()).isEqualTo("routed");
        assertThat(d.has("dead_letter")).isFalse();

        JsonNode routed = triggerEntry(d, "routes");
        assertThat(routed.get("decision").asText()).isEqualTo("routed");
        assertThat(routed.get("target").get("kind").asText()).isEqualTo("agent");
        assertThat(routed.get("target").get("name").asText()).isEqualTo("agent-one");
        assertThat(routed.get("topic").asText()).isEqualTo("agent.agent-one.requests");
        assertThat(routed.get("request_id").asText()).isEqualTo(AgentRequestEnvelope.requestId("EV-1", "routes"));
        JsonNode rejected = triggerEntry(d, "p1-only");
        assertThat(rejected.get("decision").asText()).isEqualTo("rejected");
        assertThat(rejected.get("field").asText()).isEqualTo("min_priority");
        assertThat(rejected.get("reason").asText()).isEqualTo("priority P3 is below min_priority P1");
        assertThat(triggerEntry(d, "off").get("decision").asText()).isEqualTo("disabled");
        assertThat(triggerEntry(d, "elsewhere").get("decision").asText()).isEqualTo("not_signed");
        assertThat(triggerEntry(d, "elsewhere").get("reason").asText())
                .isEqualTo("not signed by this trigger's secret (fingerprint "
                        + dev.pdpipeline.common.trigger.SecretFingerprint.of(SECRET_B) + ")");
        assertThat(d.get("signed_by")).hasSize(1);
        assertThat(d.get("signed_by").get(0).asText())
                .isEqualTo(dev.pdpipeline.common.trigger.SecretFingerprint.of(SECRET_A));
        assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8))
                .doesNotContain(SECRET_A).doesNotContain(SECRET_B).doesNotContain("u+api-token");
    }

    @Test
    void recordsANotRoutedEventAndARedeliveryAsDuplicate() throws Exception {
        start(trigger("t1", "agent-one", SECRET_A),
                TestTriggers.builder("resolved-only", "agent-two", SECRET_A).eventTypes("incident.resolved").build());

        send("INC-1", incident("EV-1", "INC-1").bytes(), ingressHeaders("WH-1", SECRET_A));
        send("INC-1", incident("EV-1", "INC-1").bytes(), ingressHeaders("WH-1", SECRET_A));

        List<JsonNode> d = decisions();
        assertThat(d).hasSize(2);
        assertThat(d.get(0).get("outcome").asText()).isEqualTo("routed");
        assertThat(d.get(1).get("outcome").asText()).isEqualTo("not_routed");
        assertThat(d.get(1).get("source").get("offset").asLong()).isEqualTo(1);
        JsonNode dup = triggerEntry(d.get(1), "t1");
        assertThat(dup.get("decision").asText()).isEqualTo("duplicate");
        assertThat(dup.get("reason").asText()).contains("dedup window");
        assertThat(dup.has("request_id")).isFalse();
        assertThat(triggerEntry(d.get(1), "resolved-only").get("field").asText()).isEqualTo("event_types");
    }

    @Test
    void recordsAPingWithoutTriggers() throws Exception {
        start(trigger("t1", "agent-one", SECRET_A));

        send("PING", TestEvents.ping("EV-PING"), ingressHeaders("WH-P", SECRET_A));

        JsonNode d = decisions().get(0);
        assertThat(d.get("outcome").asText()).isEqualTo("ping");
        assertThat(d.get("event_type").asText()).isEqualTo("pagey.ping");
        assertThat(d.get("triggers")).isEmpty();
    }

    @Test
    void recordsADeadLetterOfAnUnparsableRecordWithItsReason() throws Exception {
        start(trigger("t1", "agent-one", SECRET_A));

        send("BAD", utf8("not json {"), ingressHeaders("WH-X", SECRET_A));

        JsonNode d = decisions().get(0);
        assertThat(d.get("outcome").asText()).isEqualTo("dead_lettered");
        assertThat(d.get("event_id").isNull()).isTrue();
        assertThat(d.get("incident").isNull()).isTrue();
        assertThat(d.get("dead_letter").get("reason").asText()).isEqualTo("not_json");
        assertThat(d.get("dead_letter").get("detail").asText()).isNotBlank();
        assertThat(d.get("webhook_id").asText()).isEqualTo("WH-X");
        assertThat(topic(TOPICS.deadLetter()).readRecordsToList()).hasSize(1);
    }

    @Test
    void recordsADeadLetterOfAParsedEventWithoutFingerprints() throws Exception {
        start(trigger("t1", "agent-one", SECRET_A));

        send("INC-9", incident("EV-9", "INC-9").bytes(), new org.apache.kafka.common.header.internals.RecordHeaders());

        JsonNode d = decisions().get(0);
        assertThat(d.get("outcome").asText()).isEqualTo("dead_lettered");
        assertThat(d.get("event_id").asText()).isEqualTo("EV-9");
        assertThat(d.get("dead_letter").get("reason").asText()).isEqualTo("no_fingerprint");
    }

    @Test
    void capsLongTitlesInTheRecord() throws Exception {
        start(trigger("t1", "agent-one", SECRET_A));

        send("INC-L", incident("EV-L", "INC-L").title("x".repeat(5000)).bytes(), ingressHeaders("WH-L", SECRET_A));

        assertThat(decisions().get(0).get("incident").get("title").asText()).hasSize(DecisionRecord.MAX_TEXT);
    }

    @Test
    void aFailureAtTheSecondTriggerLeavesNeitherRequestNorMarkAndTheRedrivenRecordRoutesBothOnce()
            throws Exception {
        AtomicBoolean broken = new AtomicBoolean(true);
        RoutingProcessor.RequestFactory live = RoutingProcessor.RequestFactory.live();
        start((topic, trigger, agent, event, key, headers, now) -> {
            if (broken.get() && trigger.name().equals("second")) {
                throw new IllegalStateException("injected failure building the second request");
            }
            return live.build(topic, trigger, agent, event, key, headers, now);
        }, trigger("first", "agent-one", SECRET_A), trigger("second", "agent-two", SECRET_A));
        byte[] body = incident("EV-1", "INC-1").bytes();

        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));

        TestOutputTopic<byte[], byte[]> agentOne = topic(TOPICS.agentTopic("agent-one"));
        TestOutputTopic<byte[], byte[]> agentTwo = topic(TOPICS.agentTopic("agent-two"));
        TestOutputTopic<byte[], byte[]> requestLog = topic(TOPICS.requestLog());
        List<TestRecord<byte[], byte[]>> dead = topic(TOPICS.deadLetter()).readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).headers().lastHeader(PipelineHeaders.DLQ_REASON).value(),
                StandardCharsets.UTF_8)).isEqualTo("processing_error");
        assertThat(agentOne.isEmpty()).as("no request of the first trigger").isTrue();
        assertThat(agentTwo.isEmpty()).isTrue();
        assertThat(requestLog.isEmpty()).isTrue();
        assertThat(dedupKeys()).as("no dedup mark").isEmpty();
        JsonNode failed = decisions().get(0);
        assertThat(failed.get("outcome").asText()).isEqualTo("dead_lettered");
        assertThat(failed.get("event_id").asText()).isEqualTo("EV-1");
        assertThat(failed.get("dead_letter").get("detail").asText()).contains("injected failure");

        // Re-drive: the dead letter's value and headers go back to the raw topic.
        broken.set(false);
        raw.pipeInput(new TestRecord<>(dead.get(0).key(), dead.get(0).value(), dead.get(0).headers(), START));

        assertThat(agentOne.readRecordsToList()).hasSize(1);
        assertThat(agentTwo.readRecordsToList()).hasSize(1);
        assertThat(requestLog.readRecordsToList()).hasSize(2);
        assertThat(dedupKeys()).containsExactlyInAnyOrder("EV-1/first", "EV-1/second");
        assertThat(decisions().get(0).get("outcome").asText()).isEqualTo("routed");

        // And once only: a further redelivery is a duplicate for both.
        send("INC-1", body, ingressHeaders("WH-1", SECRET_A));
        assertThat(agentOne.isEmpty()).isTrue();
        assertThat(agentTwo.isEmpty()).isTrue();
        JsonNode again = decisions().get(0);
        assertThat(triggerEntry(again, "first").get("decision").asText()).isEqualTo("duplicate");
        assertThat(triggerEntry(again, "second").get("decision").asText()).isEqualTo("duplicate");
    }

    @Test
    void oneRequestBuilderServesLiveAndReplayedRequests() {
        TestEvents.Incident incident = incident("EV-R", "INC-R");
        dev.pdpipeline.common.event.PagerDutyEvent event;
        try {
            event = dev.pdpipeline.common.event.PagerDutyEvent.parse(incident.bytes());
        } catch (dev.pdpipeline.common.event.InvalidEventException e) {
            throw new AssertionError(e);
        }
        Trigger t = trigger("t1", "agent-one", SECRET_A);
        AgentRequests.Built live = AgentRequests.build("agent.agent-one.requests", t, Target.agent("agent-one"), event,
                utf8("INC-R"), ingressHeaders("WH-R", SECRET_A), START, null);
        AgentRequests.Built replay = AgentRequests.build("agent.agent-one.requests", t, Target.agent("agent-one"), event,
                utf8("INC-R"), ingressHeaders("WH-R", SECRET_A), START, new AgentRequests.Replay("replay-1", false));
        assertThat(live.requestId()).isEqualTo(AgentRequestEnvelope.requestId("EV-R", "t1"));
        assertThat(replay.requestId()).isEqualTo(AgentRequestEnvelope.replayRequestId("EV-R", "t1", "replay-1"));
        assertThat(live.headers().lastHeader(PipelineHeaders.REPLAY_ID)).isNull();
        assertThat(new String(replay.headers().lastHeader(PipelineHeaders.REPLAY_ID).value(), StandardCharsets.UTF_8))
                .isEqualTo("replay-1");
        assertThat(new String(replay.requestLogValue(), StandardCharsets.UTF_8)).contains("\"write_back\":false")
                .contains("\"replay\":true");
        assertThat(new String(live.requestLogValue(), StandardCharsets.UTF_8)).contains("\"write_back\":true");
    }
}
