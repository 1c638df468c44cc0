package dev.pdpipeline.processor.contract;

import static dev.pdpipeline.processor.fixtures.TestEvents.ingressHeaders;
import static dev.pdpipeline.processor.fixtures.TestEvents.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.envelope.AgentRequestEnvelope;
import dev.pdpipeline.processor.fixtures.TestEvents;
import dev.pdpipeline.processor.fixtures.TestTriggers;
import dev.pdpipeline.processor.topology.RoutingOptions;
import dev.pdpipeline.processor.topology.RoutingTopology;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Stream;
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

/**
 * Every envelope the routing topology produces holds to {@code schemas/request.schema.json}: for
 * every {@code data.type} of PagerDuty's published samples ({@code ../shared/pagerduty}, read at
 * run time, never copied), for our own fixtures, and for the replay envelope.
 */
class RequestEnvelopeSchemaTest {

    private static final String SECRET = "schema-test-secret";
    private static final String AGENT = "schema-agent";
    private static final Instant START = Instant.parse("2025-05-14T09:13:00Z");
    private static final TopicCatalogue TOPICS = TopicCatalogue.defaults();

    @TempDir
    Path stateDir;

    private final Trigger everything = TestTriggers.builder("schema-everything", AGENT, SECRET)
            .parameter("runbook", "https://runbooks.example.test/x").build();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> raw;
    private TestOutputTopic<byte[], byte[]> requests;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "schema-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        TriggerSet triggers = new TriggerSet(List.of(everything));
        driver = new TopologyTestDriver(RoutingTopology.build(TOPICS, () -> triggers, RoutingOptions.defaults(),
                new SimpleMeterRegistry()), props, START);
        raw = driver.createInputTopic(TOPICS.raw(), new ByteArraySerializer(), new ByteArraySerializer());
        requests = driver.createOutputTopic(TOPICS.agentTopic(AGENT), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void everyPublishedPagerDutySampleIsRoutedAsASchemaValidEnvelope() throws Exception {
        Path shared = sharedPagerDutyDir();
        assumeTrue(shared != null && Files.isDirectory(shared.resolve("webhook-samples")),
                "../shared not present: PagerDuty's webhook samples cannot be routed against the request schema");
        Map<String, String> eventTypeByDataType = eventTypes(shared.resolve("event-types.tsv"));
        Map<String, byte[]> deliveries = new LinkedHashMap<>();
        for (Path dir : List.of(shared.resolve("webhook-samples"), shared.resolve("real-deliveries"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.sorted().toList()) {
                    String name = file.getFileName().toString();
                    if (name.startsWith("data-")) {
                        deliveries.put(dir.getFileName() + "/" + name, wrap(Files.readAllBytes(file), eventTypeByDataType));
                    } else if (name.matches("(incident|service)\\..*\\.json")) {
                        deliveries.put(dir.getFileName() + "/" + name, Files.readAllBytes(file));
                    }
                }
            }
        }
        assertThat(deliveries).isNotEmpty();

        TreeSet<String> routedDataTypes = new TreeSet<>();
        int n = 0;
        for (Map.Entry<String, byte[]> delivery : deliveries.entrySet()) {
            // a fresh event id per file, so that dedup never hides one sample behind another
            byte[] body = withEventId(delivery.getValue(), "schema-sample-" + (n++));
            String key = PagerDutyEvent.parse(body).partitionKey().orElse("none");
            raw.pipeInput(new TestRecord<>(utf8(key), body, ingressHeaders("WH-" + n, SECRET), START));
            List<TestRecord<byte[], byte[]>> out = requests.readRecordsToList();
            assertThat(out).as("%s is routed once", delivery.getKey()).hasSize(1);
            JsonNode envelope = Json.mapper().readTree(out.get(0).value());
            assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, envelope))
                    .as("request schema errors for the envelope of %s", delivery.getKey()).isEmpty();
            routedDataTypes.add(envelope.at("/metadata/data_type").asText());
        }
        // every data.type PagerDuty documents was among them
        assertThat(routedDataTypes).containsAll(new TreeSet<>(eventTypeByDataType.keySet()));
    }

    @Test
    void ourOwnIncidentFixturesAreRoutedAsSchemaValidEnvelopes() throws Exception {
        raw.pipeInput(new TestRecord<>(utf8("QFIX1"), TestEvents.incident("EV-FIX-1", "QFIX1").bytes(),
                ingressHeaders("WH-1", SECRET), START));
        raw.pipeInput(new TestRecord<>(utf8("QFIX2"), TestEvents.incident("EV-FIX-2", "QFIX2").priority(null)
                .type("incident.acknowledged").bytes(), ingressHeaders("WH-2", SECRET), START));
        List<TestRecord<byte[], byte[]>> out = requests.readRecordsToList();
        assertThat(out).hasSize(2);
        for (TestRecord<byte[], byte[]> record : out) {
            assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, record.value())).isEmpty();
        }
    }

    @Test
    void theReplayEnvelopeIsSchemaValid() throws Exception {
        // bin/pipeline replay builds its envelopes with these two calls (launcher's Replayer)
        PagerDutyEvent event = PagerDutyEvent.parse(TestEvents.incident("EV-R-1", "QREPLAY1").bytes());
        String requestId = AgentRequestEnvelope.replayRequestId("EV-R-1", everything.name(), "replay-7");
        ObjectNode envelope = AgentRequestEnvelope.build(everything, event, null, null, START, true, requestId);

        JsonNode parsed = Json.mapper().readTree(AgentRequestEnvelope.toBytes(envelope));
        assertThat(parsed.get("replay").asBoolean()).isTrue();
        assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, parsed)).isEmpty();
    }

    @Test
    void theSchemaRejectsEnvelopesThatBreakTheContract() throws Exception {
        PagerDutyEvent event = PagerDutyEvent.parse(TestEvents.incident("EV-BAD-1", "QBAD1").bytes());
        ObjectNode good = AgentRequestEnvelope.build(everything, event, "WH-1", null, START, false);
        assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, good)).isEmpty();

        assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, good.deepCopy().put("schema_version", 2)))
                .isNotEmpty();
        assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, good.deepCopy().put("request_id", "ABC")))
                .isNotEmpty();
        ObjectNode noMetadataField = good.deepCopy();
        ((ObjectNode) noMetadataField.get("metadata")).remove("incident_id");
        assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, noMetadataField)).isNotEmpty();
        ObjectNode badTarget = good.deepCopy();
        badTarget.putObject("target").put("kind", "team").put("name", "x");
        assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, badTarget)).isNotEmpty();
        // additions within a version are compatible: unknown fields and a well-formed target pass
        ObjectNode added = good.deepCopy();
        added.put("some_future_field", true);
        added.putObject("target").put("kind", "flow").put("name", "triage-flow");
        ((ObjectNode) added.get("metadata")).put("another_fact", 1);
        assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, added)).isEmpty();
    }

    /** A {@code data-<type>.json} sample (an {@code event.data} object) in a delivery envelope. */
    private static byte[] wrap(byte[] dataBytes, Map<String, String> eventTypeByDataType) throws IOException {
        JsonNode data = Json.mapper().readTree(dataBytes);
        String dataType = data.get("type").asText();
        assertThat(eventTypeByDataType).as("event-types.tsv lists data.type %s", dataType).containsKey(dataType);
        ObjectNode root = Json.mapper().createObjectNode();
        ObjectNode ev = root.putObject("event");
        ev.put("id", "sample");
        ev.put("event_type", eventTypeByDataType.get(dataType));
        ev.put("resource_type", dataType.startsWith("service") ? "service" : "incident");
        ev.put("occurred_at", "2025-05-14T09:12:44.512Z");
        ev.putNull("agent");
        ev.set("data", data);
        return Json.mapper().writeValueAsBytes(root);
    }

    private static byte[] withEventId(byte[] delivery, String eventId) throws IOException {
        ObjectNode root = (ObjectNode) Json.mapper().readTree(delivery);
        ((ObjectNode) root.get("event")).put("id", eventId);
        return Json.mapper().writeValueAsBytes(root);
    }

    private static Map<String, String> eventTypes(Path tsv) throws IOException {
        Map<String, String> byDataType = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>(Files.readAllLines(tsv));
        for (String line : lines.subList(1, lines.size())) {
            String[] cols = line.split("\t");
            if (cols.length == 2) {
                byDataType.putIfAbsent(cols[1].trim(), cols[0].trim());
            }
        }
        return byDataType;
    }

    /** {@code <shared>/pagerduty}, or null when the checkout has no ../shared (users' clones). */
    private static Path sharedPagerDutyDir() {
        String dir = System.getProperty("pdpipeline.shared.dir");
        if (dir == null) {
            return null;
        }
        Path path = Path.of(dir, "pagerduty");
        return Files.isDirectory(path) ? path : null;
    }
}
