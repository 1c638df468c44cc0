package dev.pdpipeline.common.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IncidentLocatorTest {

    @ParameterizedTest(name = "{0} -> incident {1}, key {2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "incident.triggered.json                  | Q2ZK8INC77 | Q2ZK8INC77",
            "incident.annotated.json                  | Q2ZK8INC77 | Q2ZK8INC77",
            "incident.conference_bridge.updated.json  | Q2ZK8INC77 | Q2ZK8INC77",
            "incident.custom_field_values.updated.json| Q2ZK8INC77 | Q2ZK8INC77",
            "incident.responder.added.json            | Q2ZK8INC77 | Q2ZK8INC77",
            "incident.role.assigned.json              | Q2ZK8INC77 | Q2ZK8INC77",
            "incident.status_update_published.json    | Q2ZK8INC77 | Q2ZK8INC77",
            "incident.task.created.json               | Q2ZK8INC77 | Q2ZK8INC77",
            "incident.action_invocation.created.json  | Q2ZK8INC77 | Q2ZK8INC77",
            "incident.workflow.started.json           | Q2ZK8INC77 | Q2ZK8INC77",
            "incident.resolved.sparse.json            | Q2ZK8INC78 | Q2ZK8INC78",
            "service.updated.json                     | -          | PSVC4PAY",
            "service.custom_field_values.updated.json | -          | PSVC4PAY",
            "pagey.ping.json                          | -          | -",
    })
    void findsTheIncidentOfEveryDataTypeAndKeysServiceEventsByService(
            String fixture, String incidentId, String partitionKey) {
        JsonNode root = EventFixtures.event(fixture).root();
        assertThat(IncidentLocator.incidentId(root.get("event")).orElse(null)).isEqualTo(incidentId);
        assertThat(IncidentLocator.partitionKey(root).orElse(null)).isEqualTo(partitionKey);
    }

    @Test
    void taskIdIsNotMistakenForTheIncidentId() {
        JsonNode event = EventFixtures.event("incident.task.created.json").event();
        assertThat(event.get("data").get("id").asText()).isEqualTo("PTASK0008");
        assertThat(IncidentLocator.incidentId(event)).contains("Q2ZK8INC77");
    }

    @Test
    void roleAssignmentUsesTheFirstAssignmentThatNamesAnIncident() throws Exception {
        JsonNode event = Json.mapper().readTree("""
                {"data":{"type":"incident_role_assignment","incident_role_assignments":[
                  null, {"incident":null}, {"incident":{"id":""}}, {"incident":{"id":"QROLE1"}}, {"incident":{"id":"QROLE2"}}]}}
                """);
        assertThat(IncidentLocator.incidentId(event)).contains("QROLE1");
    }

    @Test
    void unknownDataTypeWithAnIncidentReferenceIsHandled() throws Exception {
        JsonNode event = Json.mapper().readTree(
                "{\"data\":{\"type\":\"incident_something_new\",\"id\":\"X1\",\"incident\":{\"id\":\"QNEW\"}}}");
        assertThat(IncidentLocator.incidentId(event)).contains("QNEW");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "null", "[]", "\"text\"", "42", "{}", "{\"event\":null}", "{\"event\":[]}", "{\"event\":{}}",
            "{\"event\":{\"data\":null}}", "{\"event\":{\"data\":\"x\"}}", "{\"event\":{\"data\":[{\"id\":\"A\"}]}}",
            "{\"event\":{\"data\":{\"type\":\"incident\"}}}",
            "{\"event\":{\"data\":{\"type\":\"incident\",\"id\":7}}}",
            "{\"event\":{\"data\":{\"type\":\"incident\",\"id\":\"  \"}}}",
            "{\"event\":{\"data\":{\"type\":\"incident_note\",\"incident\":{\"id\":null}}}}",
            "{\"event\":{\"data\":{\"type\":\"incident_role_assignment\",\"incident_role_assignments\":{}}}}",
            "{\"event\":{\"data\":{\"type\":\"service_field_values\",\"service\":{\"id\":\"\"}}}}",
    })
    void givesNothingForGarbage(String json) throws Exception {
        JsonNode root = Json.mapper().readTree(json);
        assertThat(IncidentLocator.partitionKey(root)).isEmpty();
        assertThat(IncidentLocator.incidentId(root == null ? null : root.get("event"))).isEmpty();
    }

    @Test
    void nullInputsGiveNothing() {
        assertThat(IncidentLocator.incident(null)).isEmpty();
        assertThat(IncidentLocator.partitionKey(null)).isEmpty();
    }
}
