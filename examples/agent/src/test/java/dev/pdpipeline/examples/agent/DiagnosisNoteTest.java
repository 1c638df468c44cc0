package dev.pdpipeline.examples.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiagnosisNoteTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A request envelope shaped like docs/agent-contract.md (schema_version 1). */
    static ObjectNode request(String agent, String requestId, String incidentId) {
        ObjectNode r = MAPPER.createObjectNode();
        r.put("schema_version", 1);
        r.put("request_id", requestId);
        r.put("trigger", "payments-triage");
        r.put("agent", agent);
        r.put("bot_name", "aofbot");
        r.putObject("parameters");
        ObjectNode md = r.putObject("metadata");
        md.put("event_id", "01EVENT");
        md.put("event_type", "incident.triggered");
        md.put("occurred_at", "2025-05-14T09:12:44.512Z");
        md.put("incident_id", incidentId);
        md.put("incident_number", 4711);
        md.put("status", "triggered");
        md.put("urgency", "high");
        md.put("priority", "P1");
        md.put("service_id", "PSVC4PAY");
        md.put("service_name", "checkout-api");
        md.put("title", "Checkout latency above SLO");
        r.put("text", "Checkout latency above SLO");
        r.put("replay", false);
        return r;
    }

    @Test
    void resultCarriesTheRequestIdentityAndANoteWithTheIncidentFacts() {
        ObjectNode result = DiagnosisNote.result(MAPPER, request("diagnostic-agent", "r1", "Q1"), "other");
        assertThat(result.get("request_id").asText()).isEqualTo("r1");
        assertThat(result.get("incident_id").asText()).isEqualTo("Q1");
        assertThat(result.get("agent").asText()).isEqualTo("diagnostic-agent");
        assertThat(result.get("note").asText()).contains("#4711", "Checkout latency above SLO", "P1", "high",
                "checkout-api (PSVC4PAY)", "`payments-triage`", "Checklist").doesNotContain("replayed");
        assertThat(result.has("status")).isFalse();
    }

    @Test
    void resultIdIsStablePerRequestAndDiffersBetweenRequests() {
        assertThat(DiagnosisNote.resultId("r1", "a")).isEqualTo(DiagnosisNote.resultId("r1", "a"))
                .isNotEqualTo(DiagnosisNote.resultId("r2", "a")).hasSize(32);
    }

    @Test
    void noteSaysWhenTheRequestIsAReplay() {
        ObjectNode request = request("a", "r1", "Q1");
        request.put("replay", true);
        assertThat(DiagnosisNote.markdown(request)).contains("replayed");
    }

    @Test
    void refusesRequestsWithoutAnIncident() {
        ObjectNode request = request("a", "r1", "Q1");
        ((ObjectNode) request.get("metadata")).putNull("incident_id");
        assertThatThrownBy(() -> DiagnosisNote.result(MAPPER, request, "a"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("incident_id");
    }

    @Test
    void settingsDefaultToTheDiagnosticAgentAndNameTheBadVariable() {
        AgentSettings s = AgentSettings.fromEnv(Map.of());
        assertThat(s.agentName()).isEqualTo("diagnostic-agent");
        assertThat(s.requestTopic()).isEqualTo("agent.diagnostic-agent.requests");
        assertThat(s.groupId()).isEqualTo("example-diagnostic-agent");
        assertThat(s.resultsTopic()).isEqualTo("agent.results");
        assertThat(s.bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(AgentSettings.fromEnv(Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")).clientProperties())
                .containsEntry("security.protocol", "SASL_SSL");
        assertThatThrownBy(() -> AgentSettings.fromEnv(Map.of("AGENT_TOPIC_TEMPLATE", "agents")))
                .hasMessageContaining("AGENT_TOPIC_TEMPLATE");
        assertThatThrownBy(() -> AgentSettings.fromEnv(Map.of("AGENT_NAME", "bad name")))
                .hasMessageContaining("AGENT_TOPIC_TEMPLATE");
    }
}
