package dev.pdpipeline.processor.topology;

import static dev.pdpipeline.processor.fixtures.TestEvents.incident;
import static dev.pdpipeline.processor.fixtures.TestEvents.ingressHeaders;
import static dev.pdpipeline.processor.fixtures.TestEvents.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.fixtures.TestEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing with an aof.dev/v1 Trigger: per-event-type targets, the target in the envelope, dedup per target. */
class AofDevRoutingTopologyTest {

    private static final String SECRET = "secret-of-the-aof-dev-subscription";
    private static final Instant START = Instant.parse("2025-05-14T09:13:00Z");
    private static final TopicCatalogue TOPICS = TopicCatalogue.defaults();

    @TempDir
    Path stateDir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicReference<TriggerSet> triggers = new AtomicReference<>();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> raw;

    static Trigger devTrigger(Map<String, Target> commands, String defaultAgent) {
        return new Trigger("pd-dev", null, null, defaultAgent != null ? defaultAgent : "unused", true, SECRET, null,
                null, null, List.of(), List.of("PSVC4PAY"), List.of(), null, null, Map.of(), null,
                Trigger.AOF_DEV_V1, commands, defaultAgent, List.of());
    }

    @BeforeEach
    void start() {
        Map<String, Target> commands = new LinkedHashMap<>();
        commands.put("incident.triggered", new Target(Target.Kind.FLOW, "incident-flow"));
        commands.put("incident.acknowledged", Target.agent("devops"));
        triggers.set(new TriggerSet(List.of(devTrigger(commands, null))));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "aof-dev-routing-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(RoutingTopology.build(TOPICS, triggers::get, RoutingOptions.defaults(),
                registry), props, START);
        raw = driver.createInputTopic(TOPICS.raw(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    private void send(TestEvents.Incident event, String incidentId) {
        raw.pipeInput(new TestRecord<>(utf8(incidentId), event.bytes(), ingressHeaders("WH-1", SECRET), START));
    }

    private TestOutputTopic<byte[], byte[]> topic(String name) {
        return driver.createOutputTopic(TOPICS.agentTopic(name), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    private double decisions(String outcome) {
        Counter c = registry.find(RoutingMetrics.DECISIONS).tag("trigger", "pd-dev").tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private static JsonNode json(byte[] b) throws IOException {
        return Json.mapper().readTree(b);
    }

    @Test
    void eachEventTypeGoesToItsCommandsTargetWithTheTargetInTheEnvelope() throws Exception {
        send(incident("E-TRIG", "QDEV1").type("incident.triggered"), "QDEV1");
        send(incident("E-ACK", "QDEV1").type("incident.acknowledged"), "QDEV1");

        List<TestRecord<byte[], byte[]>> flow = topic("incident-flow").readRecordsToList();
        assertThat(flow).hasSize(1);
        JsonNode envelope = json(flow.get(0).value());
        assertThat(envelope.at("/target/kind").asText()).isEqualTo("flow");
        assertThat(envelope.at("/target/name").asText()).isEqualTo("incident-flow");
        assertThat(envelope.get("agent").asText()).isEqualTo("incident-flow");
        assertThat(envelope.at("/metadata/event_id").asText()).isEqualTo("E-TRIG");

        List<TestRecord<byte[], byte[]>> devops = topic("devops").readRecordsToList();
        assertThat(devops).hasSize(1);
        assertThat(json(devops.get(0).value()).at("/target/kind").asText()).isEqualTo("agent");
    }

    @Test
    void anEventTypeWithoutCommandOrDefaultIsRejectedOnCommands() {
        send(incident("E-RES", "QDEV2").type("incident.resolved"), "QDEV2");

        assertThat(decisions("rejected_commands")).isEqualTo(1);
        assertThat(topic("incident-flow").isEmpty()).isTrue();
        assertThat(topic("devops").isEmpty()).isTrue();
    }

    @Test
    void dedupIsPerTriggerAndTarget() {
        send(incident("E-SAME", "QDEV3").type("incident.triggered"), "QDEV3");
        send(incident("E-SAME", "QDEV3").type("incident.triggered"), "QDEV3");
        assertThat(topic("incident-flow").readRecordsToList()).hasSize(1);
        assertThat(decisions("duplicate")).isEqualTo(1);

        // a reload sends incident.triggered to another target: the same event is new work for it
        Map<String, Target> moved = new LinkedHashMap<>();
        moved.put("incident.triggered", new Target(Target.Kind.FLEET, "rca-fleet"));
        triggers.set(new TriggerSet(List.of(devTrigger(moved, null))));
        send(incident("E-SAME", "QDEV3").type("incident.triggered"), "QDEV3");
        send(incident("E-SAME", "QDEV3").type("incident.triggered"), "QDEV3");

        assertThat(topic("rca-fleet").readRecordsToList()).hasSize(1);
        assertThat(decisions("duplicate")).isEqualTo(2);
    }

    private List<JsonNode> decisionRecords() throws IOException {
        List<JsonNode> out = new java.util.ArrayList<>();
        for (byte[] v : driver.createOutputTopic(TOPICS.decisions(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer()).readValuesToList()) {
            out.add(json(v));
        }
        return out;
    }

    @Test
    void theDecisionsRecordCarriesTheTargetKindAndNameAndTheCommandsRejection() throws Exception {
        send(incident("E-TRIG", "QDEV4").type("incident.triggered"), "QDEV4");
        send(incident("E-RES", "QDEV4").type("incident.resolved"), "QDEV4");
        send(incident("E-TRIG", "QDEV4").type("incident.triggered"), "QDEV4");

        List<JsonNode> records = decisionRecords();
        assertThat(records).hasSize(3);
        JsonNode routed = records.get(0).get("triggers").get(0);
        assertThat(records.get(0).get("outcome").asText()).isEqualTo("routed");
        assertThat(routed.get("decision").asText()).isEqualTo("routed");
        assertThat(routed.at("/target/kind").asText()).isEqualTo("flow");
        assertThat(routed.at("/target/name").asText()).isEqualTo("incident-flow");
        assertThat(routed.get("topic").asText()).isEqualTo(TOPICS.agentTopic("incident-flow"));
        assertThat(routed.get("reason").asText()).contains("spec.commands.incident.triggered");

        JsonNode rejected = records.get(1).get("triggers").get(0);
        assertThat(records.get(1).get("outcome").asText()).isEqualTo("not_routed");
        assertThat(rejected.get("decision").asText()).isEqualTo("rejected");
        assertThat(rejected.get("field").asText()).isEqualTo("commands");
        assertThat(rejected.has("target")).isFalse();

        JsonNode duplicate = records.get(2).get("triggers").get(0);
        assertThat(duplicate.get("decision").asText()).isEqualTo("duplicate");
        assertThat(duplicate.at("/target/kind").asText()).isEqualTo("flow");
    }
}
