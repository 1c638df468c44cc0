package dev.pdpipeline.processor.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.processor.fixtures.TestEvents;
import dev.pdpipeline.processor.fixtures.TestTriggers;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentRequestEnvelopeTest {

    @Test
    void derivesAStableRequestIdFromEventIdAndTrigger() {
        // printf '01HXTRIG0000000000000001\npayments-triage' | sha256sum | cut -c1-32
        assertThat(AgentRequestEnvelope.requestId("01HXTRIG0000000000000001", "payments-triage"))
                .isEqualTo("641652d3794407c2ffd571bf39c2b5a6");
        assertThat(AgentRequestEnvelope.requestId("EV-1", "a"))
                .isEqualTo(AgentRequestEnvelope.requestId("EV-1", "a"))
                .isNotEqualTo(AgentRequestEnvelope.requestId("EV-1", "b"))
                .isNotEqualTo(AgentRequestEnvelope.requestId("EV-2", "a"));
    }

    @Test
    void carriesEveryDocumentedFieldAndNoSecret() throws Exception {
        Trigger trigger = TestTriggers.builder("triage", "triage-agent", "the-webhook-secret")
                .parameter("depth", "full").build();
        PagerDutyEvent event = PagerDutyEvent.parse(TestEvents.incident("EV-1", "INC-1").bytes());

        ObjectNode envelope = AgentRequestEnvelope.build(trigger, event, "WH-1", "2025-05-14T09:12:45Z",
                Instant.parse("2025-05-14T09:13:00Z"), false);
        byte[] bytes = AgentRequestEnvelope.toBytes(envelope);

        JsonNode parsed = Json.mapper().readTree(bytes);
        assertThat(parsed.fieldNames()).toIterable().containsExactly("schema_version", "request_id", "trigger",
                "agent", "target", "bot_name", "parameters", "metadata", "text", "event", "replay", "webhook_id",
                "received_at", "routed_at");
        assertThat(parsed.get("parameters").get("depth").asText()).isEqualTo("full");
        assertThat(parsed.at("/target/kind").asText()).isEqualTo("agent");
        assertThat(parsed.at("/target/name").asText()).isEqualTo("triage-agent");
        assertThat(parsed.get("routed_at").asText()).isEqualTo("2025-05-14T09:13:00Z");
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("the-webhook-secret").doesNotContain(trigger.apiToken());
    }

    @Test
    void writesNullsForUnknownDeliveryFacts() throws Exception {
        PagerDutyEvent event = PagerDutyEvent.parse(TestEvents.incident("EV-1", "INC-1").bytes());

        ObjectNode envelope = AgentRequestEnvelope.build(TestTriggers.trigger("t", "a", "s"), event, null, null,
                Instant.EPOCH, true);

        for (String field : List.of("webhook_id", "received_at")) {
            assertThat(envelope.get(field).isNull()).as(field).isTrue();
        }
        assertThat(envelope.get("replay").asBoolean()).isTrue();
    }
}
