package dev.pdpipeline.processor.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.event.InvalidEventException;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.processor.contract.ContractSchemas;
import dev.pdpipeline.processor.fixtures.TestTriggers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The envelope is written with a generator and carries the delivery's original {@code event}
 * bytes; as JSON it must equal what the tree builder it replaced produced (kept here as the
 * reference, {@link #treeEnvelope}) and stay valid against schemas/request.schema.json. Over every
 * delivery PagerDuty published (../shared, when present) and seeded random bodies.
 */
class AgentRequestEnvelopeWriterTest {

    private static final Instant ROUTED = Instant.parse("2025-05-14T09:13:00Z");

    private final Trigger plain = TestTriggers.trigger("triage", "triage-agent", "secret-1");
    private final Trigger withParameters = TestTriggers.builder("deep", "deep-agent", "secret-2")
            .parameter("depth", "full").parameter("note", "\u00e9\"\\\n\ud83d\ude00").build();

    @Test
    void everyPublishedDeliveryGivesTheSameEnvelopeAsTheTreeBuilder() throws Exception {
        Path shared = sharedPagerDutyDir();
        assumeTrue(shared != null, "../shared not present: PagerDuty's deliveries cannot be checked");
        int checked = 0;
        for (String dir : List.of("webhook-samples", "real-deliveries")) {
            List<Path> files;
            try (Stream<Path> list = Files.list(shared.resolve(dir))) {
                files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            }
            for (Path file : files) {
                byte[] body = Files.readAllBytes(file);
                if (file.getFileName().toString().startsWith("data-")) {
                    body = wrapData(body);
                }
                PagerDutyEvent event;
                try {
                    event = PagerDutyEvent.parse(body);
                } catch (InvalidEventException notAnEvent) {
                    continue; // signature vectors, subscription requests
                }
                assertThat(event.hasRawEvent()).as(file.toString()).isTrue();
                checkAllVariants(event, file.toString());
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(20);
    }

    @Test
    void randomBodiesGiveTheSameEnvelopeAsTheTreeBuilder() throws Exception {
        Random random = new Random(20261202L);
        for (int i = 0; i < 150; i++) {
            byte[] body = randomDelivery(random);
            PagerDutyEvent event = PagerDutyEvent.parse(body);
            checkAllVariants(event, new String(body, StandardCharsets.UTF_8));
        }
    }

    @Test
    void theEventMemberIsTheDeliverysOwnBytes() throws Exception {
        byte[] body = randomDelivery(new Random(3));
        String text = new String(body, StandardCharsets.UTF_8);
        int start = text.indexOf("{\"id\":\"E-");
        int end = text.lastIndexOf(",\"extra\"");
        String original = text.substring(start, end).stripTrailing();
        PagerDutyEvent event = PagerDutyEvent.parse(body);
        byte[] written = AgentRequestEnvelope.write(plain, Target.agent("a"), event, null, null, ROUTED, false, "r");
        assertThat(new String(written, StandardCharsets.UTF_8)).contains("\"event\":" + original + ",\"replay\":");
    }

    @Test
    void anEventBuiltFromATreeIsWrittenFromTheTree() throws Exception {
        JsonNode root = Json.mapper().readTree(randomDelivery(new Random(7)));
        PagerDutyEvent event = PagerDutyEvent.of(root);
        assertThat(event.hasRawEvent()).isFalse();
        checkAllVariants(event, "tree");
    }

    private void checkAllVariants(PagerDutyEvent event, String what) throws IOException {
        String requestId = AgentRequestEnvelope.requestId(event.metadata().eventId(), plain.name());
        for (Trigger trigger : List.of(plain, withParameters)) {
            for (Target target : List.of(Target.agent(trigger.agent()), new Target(Target.Kind.FLOW, "a-flow"))) {
                for (boolean replay : List.of(false, true)) {
                    byte[] written = AgentRequestEnvelope.write(trigger, target, event, replay ? null : "WH-\u00e9",
                            replay ? null : "2025-05-14T09:12:45Z", ROUTED, replay, requestId);
                    JsonNode parsed = Json.mapper().readTree(written);
                    // as an agent reads it: the tree builder's bytes, parsed
                    JsonNode expected = Json.mapper().readTree(AgentRequestEnvelope.toBytes(treeEnvelope(trigger,
                            target, event, replay ? null : "WH-\u00e9", replay ? null : "2025-05-14T09:12:45Z", ROUTED,
                            replay, requestId)));
                    assertThat(parsed).as(what).isEqualTo(expected);
                    assertThat(ImmutableFieldOrder.of(parsed)).as(what).isEqualTo(ImmutableFieldOrder.of(expected));
                    assertThat(ContractSchemas.errors(ContractSchemas.REQUEST, parsed)).as(what).isEmpty();
                    assertThat(AgentRequestEnvelope.build(trigger, target, event, replay ? null : "WH-\u00e9",
                            replay ? null : "2025-05-14T09:12:45Z", ROUTED, replay, requestId)).isEqualTo(expected);
                }
            }
        }
    }

    /** The field names in order: the writer keeps the contract's order. */
    private record ImmutableFieldOrder(List<String> names) {
        static ImmutableFieldOrder of(JsonNode node) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            return new ImmutableFieldOrder(names);
        }
    }

    /** The envelope as the processor built it before it was written with a generator. */
    private static ObjectNode treeEnvelope(Trigger trigger, Target target, PagerDutyEvent event, String webhookId,
            String receivedAt, Instant routedAt, boolean replay, String requestId) {
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("schema_version", AgentRequestEnvelope.SCHEMA_VERSION);
        json.put("request_id", requestId);
        json.put("trigger", trigger.name());
        json.put("agent", target.name());
        ObjectNode t = json.putObject("target");
        t.put("kind", target.kind().wireName());
        t.put("name", target.name());
        json.put("bot_name", trigger.botName());
        json.set("parameters", trigger.parameters());
        json.set("metadata", treeMetadata(event));
        json.put("text", event.metadata().title());
        json.set("event", event.event());
        json.put("replay", replay);
        json.put("webhook_id", webhookId);
        json.put("received_at", receivedAt);
        json.put("routed_at", routedAt.toString());
        return json;
    }

    private static ObjectNode treeMetadata(PagerDutyEvent event) {
        var m = event.metadata();
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("event_id", m.eventId());
        json.put("event_type", m.eventType());
        json.put("resource_type", m.resourceType());
        json.put("occurred_at", m.occurredAt());
        json.put("data_type", m.dataType());
        json.put("incident_id", m.incidentId());
        json.put("incident_number", m.incidentNumber());
        json.put("incident_key", m.incidentKey());
        json.put("status", m.status());
        json.put("urgency", m.urgency());
        json.put("priority", m.priority());
        json.put("html_url", m.htmlUrl());
        json.put("service_id", m.serviceId());
        json.put("service_name", m.serviceName());
        list(json, "team_ids", m.teamIds());
        list(json, "team_names", m.teamNames());
        list(json, "assignee_ids", m.assigneeIds());
        json.put("title", m.title());
        if (m.agentId() == null && m.agentType() == null && m.agentSummary() == null) {
            json.putNull("agent");
        } else {
            ObjectNode agent = json.putObject("agent");
            agent.put("id", m.agentId());
            agent.put("type", m.agentType());
            agent.put("summary", m.agentSummary());
        }
        return json;
    }

    private static void list(ObjectNode json, String name, List<String> values) {
        if (values == null) {
            json.putNull(name);
        } else {
            values.forEach(json.putArray(name)::add);
        }
    }

    /** A delivery with odd text, whitespace, numbers and a nested "event" member, as bytes. */
    private static byte[] randomDelivery(Random random) {
        String ws = List.of("", " ", "\n  ", "\t").get(random.nextInt(4));
        StringBuilder data = new StringBuilder("{");
        data.append("\"id\":").append(str(random)).append(',');
        data.append("\"type\":\"").append(random.nextBoolean() ? "incident" : "incident_note").append("\",");
        data.append("\"title\":").append(str(random)).append(',');
        data.append("\"number\":").append(List.of("42", "1e2", "-0", "9223372036854775808", "\"17\"").get(random.nextInt(5)))
                .append(',');
        data.append("\"priority\":{\"summary\":").append(str(random)).append("},");
        data.append("\"service\":{\"id\":").append(str(random)).append(",\"summary\":").append(str(random)).append("},");
        data.append("\"teams\":[{\"id\":").append(str(random)).append("},null,").append(random.nextInt()).append("],");
        data.append("\"incident\":{\"id\":").append(str(random)).append(",\"html_url\":").append(str(random)).append("},");
        data.append("\"event\":{\"id\":\"nested\",\"event\":[").append(random.nextDouble()).append("]},");
        data.append("\"body\":").append(str(random));
        data.append('}');
        String body = ws + "{" + ws + "\"event\"" + ws + ":" + ws + "{\"id\":" + nonBlank(random) + ","
                + "\"event_type\":\"incident.triggered\"," + ws + "\"occurred_at\":" + str(random) + ","
                + "\"agent\":" + (random.nextBoolean() ? "null" : "{\"id\":" + str(random) + "}") + ",\"data\":"
                + data + ws + "}" + ws + ",\"extra\":" + str(random) + "}" + ws;
        return body.getBytes(StandardCharsets.UTF_8);
    }

    private static String nonBlank(Random random) {
        return "\"E-" + random.nextInt(1_000_000) + "\\u00e9\"";
    }

    /** A JSON string literal with escapes, control characters, BMP and astral characters. */
    private static String str(Random random) {
        StringBuilder s = new StringBuilder("\"");
        int n = random.nextInt(24);
        for (int i = 0; i < n; i++) {
            switch (random.nextInt(9)) {
                case 0 -> s.append("\\\"");
                case 1 -> s.append("\\\\");
                case 2 -> s.append("\\n\\t\\/");
                case 3 -> s.append(String.format("\\u%04x", random.nextInt(0xd800)));
                case 4 -> s.append("\\ud83d\\ude00");
                case 5 -> s.append("\ud83d\ude80");
                case 6 -> s.append((char) (0x00a0 + random.nextInt(0x2000)));
                case 7 -> s.append("</script>");
                default -> s.append((char) ('a' + random.nextInt(26)));
            }
        }
        return s.append('"').toString();
    }

    private static byte[] wrapData(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write("{\"event\":{\"id\":\"sample\",\"event_type\":\"incident.triggered\",\"data\":"
                .getBytes(StandardCharsets.UTF_8));
        out.write(data);
        out.write("}}".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static Path sharedPagerDutyDir() {
        String dir = System.getProperty("pdpipeline.shared.dir");
        if (dir == null) {
            return null;
        }
        Path path = Path.of(dir, "pagerduty");
        return Files.isDirectory(path) ? path : null;
    }
}
