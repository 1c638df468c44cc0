package dev.pdpipeline.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class EventMetadataTest {

    private static final String INC = "Q2ZK8INC77";
    private static final String INC_URL = "https://example.pagerduty.com/incidents/Q2ZK8INC77";
    private static final String TITLE = "Checkout latency above SLO";
    private static final String AT = "2025-05-14T09:12:44.512Z";

    /** Fixture file → the exact metadata expected; one per data.type of event-types.tsv, plus extras. */
    static Stream<Arguments> fixtures() {
        return Stream.of(
                Arguments.of("incident.triggered.json", new EventMetadata(
                        "01HXTRIG0000000000000001", "incident.triggered", "incident", AT, "incident",
                        INC, 4711L, "checkout-latency-eu-west-1", "triggered", "high", "P2",
                        INC_URL, "PSVC4PAY", "payment-service",
                        List.of("PTEAM0PAY", "PTEAM0SRE"), List.of("Payments", "SRE"), List.of("PUSR9A1", "PUSR9B2"),
                        TITLE, "PUSR9A1", "user_reference", "Dana Oncall")),
                Arguments.of("incident.annotated.json", reference(
                        "01HXNOTE0000000000000002", "incident.annotated", "incident_note", TITLE)),
                Arguments.of("incident.conference_bridge.updated.json", reference(
                        "01HXCONF0000000000000003", "incident.conference_bridge.updated",
                        "incident_conference_bridge", TITLE)),
                Arguments.of("incident.custom_field_values.updated.json", reference(
                        "01HXCFV00000000000000004", "incident.custom_field_values.updated",
                        "incident_field_values", null)),
                Arguments.of("incident.responder.added.json", reference(
                        "01HXRESP0000000000000005", "incident.responder.added", "incident_responder", TITLE)),
                Arguments.of("incident.role.assigned.json", reference(
                        "01HXROLE0000000000000006", "incident.role.assigned", "incident_role_assignment", null)),
                Arguments.of("incident.status_update_published.json", reference(
                        "01HXSTAT0000000000000007", "incident.status_update_published",
                        "incident_status_update", TITLE)),
                // the task's own status "todo" and assignees are not the incident's: absent
                Arguments.of("incident.task.created.json", reference(
                        "01HXTASK0000000000000008", "incident.task.created", "incident_task", null)),
                Arguments.of("incident.action_invocation.created.json", reference(
                        "01HXACTN0000000000000009", "incident.action_invocation.created",
                        "incident_action_invocation", TITLE)),
                Arguments.of("incident.workflow.started.json", new EventMetadata(
                        "01HXWFLW0000000000000010", "incident.workflow.started", "incident", AT,
                        "incident_workflow_instance", INC, null, null, null, null, null,
                        INC_URL, "PSVC4PAY", "payment-service", null, null, null,
                        TITLE, "PUSR9A1", "user_reference", "Dana Oncall")),
                Arguments.of("service.updated.json", new EventMetadata(
                        "01HXSVCU0000000000000011", "service.updated", "service", AT, "service",
                        null, null, null, null, null, null,
                        "https://example.pagerduty.com/services/PSVC4PAY", "PSVC4PAY", "payment-service",
                        List.of("PTEAM0PAY"), List.of("Payments"), null,
                        null, null, null, null)),
                Arguments.of("service.custom_field_values.updated.json", new EventMetadata(
                        "01HXSCFV0000000000000012", "service.custom_field_values.updated", "service", AT,
                        "service_field_values", null, null, null, null, null, null,
                        "https://example.pagerduty.com/services/PSVC4PAY", "PSVC4PAY", null, null, null, null,
                        null, "PUSR9A1", "user_reference", "Dana Oncall")),
                Arguments.of("pagey.ping.json", new EventMetadata(
                        "01HXPING0000000000000013", "pagey.ping", "pagey", "2025-05-14T09:00:00.000Z", "ping",
                        null, null, null, null, null, null, null, null, null, null, null, null,
                        null, null, null, null)),
                Arguments.of("incident.resolved.sparse.json", new EventMetadata(
                        "01HXSPRS0000000000000014", "incident.resolved", "incident", null, "incident",
                        "Q2ZK8INC78", null, null, "resolved", null, null, null, null, null,
                        null, null, List.of(), null, null, null, null)));
    }

    private static EventMetadata reference(String eventId, String eventType, String dataType, String title) {
        return new EventMetadata(eventId, eventType, "incident", AT, dataType, INC, null, null, null, null, null,
                INC_URL, null, null, null, null, null, title, "PUSR9A1", "user_reference", "Dana Oncall");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void extractsExactlyWhatTheEventCarries(String fixture, EventMetadata expected) {
        assertThat(EventFixtures.event(fixture).metadata()).isEqualTo(expected);
    }

    @Test
    void fixturesCoverEveryDataTypeOfEventTypesTsv() throws IOException {
        Path shared = EventFixtures.sharedPagerDutyDir();
        assumeTrue(shared != null, "../shared not present: cannot read pagerduty/event-types.tsv");
        Set<String> documented = Files.readAllLines(shared.resolve("event-types.tsv")).stream()
                .skip(1).filter(l -> !l.isBlank()).map(l -> l.split("\t")[1].trim())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> covered = fixtures().map(a -> ((EventMetadata) a.get()[1]).dataType())
                .collect(Collectors.toSet());
        assertThat(covered).containsAll(documented);
    }

    @Test
    void toJsonWritesSnakeCaseWithAgentObject() {
        ObjectNode json = EventFixtures.event("incident.triggered.json").metadata().toJson();
        assertThat(json.get("event_id").asText()).isEqualTo("01HXTRIG0000000000000001");
        assertThat(json.get("incident_number").isIntegralNumber()).isTrue();
        assertThat(json.get("incident_number").asLong()).isEqualTo(4711L);
        assertThat(json.get("priority").asText()).isEqualTo("P2");
        assertThat(json.get("team_ids")).hasSize(2);
        assertThat(json.get("team_names").get(1).asText()).isEqualTo("SRE");
        assertThat(json.get("assignee_ids").get(0).asText()).isEqualTo("PUSR9A1");
        assertThat(json.get("agent").get("summary").asText()).isEqualTo("Dana Oncall");
        assertThat(fieldNames(json)).containsExactlyInAnyOrder(
                "event_id", "event_type", "resource_type", "occurred_at", "data_type", "incident_id",
                "incident_number", "incident_key", "status", "urgency", "priority", "html_url",
                "service_id", "service_name", "team_ids", "team_names", "assignee_ids", "title", "agent");
    }

    @Test
    void toJsonWritesNullForAbsentFieldsAndEmptyArrayOnlyForCarriedEmptyList() {
        ObjectNode json = EventFixtures.event("incident.resolved.sparse.json").metadata().toJson();
        assertThat(json.get("priority").isNull()).isTrue();
        assertThat(json.get("incident_number").isNull()).isTrue();
        assertThat(json.get("team_ids").isNull()).isTrue();
        assertThat(json.get("team_names").isNull()).isTrue();
        assertThat(json.get("assignee_ids").isArray()).isTrue();
        assertThat(json.get("assignee_ids")).isEmpty();
        assertThat(json.get("agent").isNull()).isTrue();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "service      | PSVC4PAY,payment-service",
            "team         | PTEAM0PAY,PTEAM0SRE,Payments,SRE",
            "team_ids     | PTEAM0PAY,PTEAM0SRE",
            "team_names   | Payments,SRE",
            "assignee_ids | PUSR9A1,PUSR9B2",
            "incident_number | 4711",
            "priority     | P2",
            "urgency      | high",
            "service_name | payment-service",
            "data_type    | incident",
            "agent_id     | PUSR9A1",
            "title        | Checkout latency above SLO",
            "no_such_field | -",
    })
    void valuesGivesWhatAFilterFieldMatchesAgainst(String field, String expected) {
        List<String> values = EventFixtures.event("incident.triggered.json").metadata().values(field);
        assertThat(values).containsExactlyElementsOf(expected == null ? List.of() : List.of(expected.split(",")));
    }

    @Test
    void valuesOfAbsentFieldsAreEmpty() {
        EventMetadata sparse = EventFixtures.event("incident.resolved.sparse.json").metadata();
        for (String field : List.of("service", "team", "team_ids", "priority", "urgency", "incident_number",
                "agent_id", "occurred_at")) {
            assertThat(sparse.values(field)).as(field).isEmpty();
        }
    }

    @Test
    void understandsEveryFieldATriggerFilterMayName() {
        assertThat(EventMetadata.FIELD_NAMES).containsAll(dev.pdpipeline.common.trigger.FilterFields.FILTER_FIELDS);
    }

    @Test
    void everyDocumentedFieldNameIsUnderstood() {
        EventMetadata full = EventFixtures.event("incident.triggered.json").metadata();
        for (String field : EventMetadata.FIELD_NAMES) {
            if (!field.equals("occurred_at") && !field.startsWith("resource") && !field.startsWith("event")) {
                assertThat(full.values(field)).as(field).isNotEmpty();
            }
        }
        assertThat(full.values("resource_type")).containsExactly("incident");
    }

    @Test
    void teamsWithoutIdOrNameAndNonObjectElementsAreSkipped() throws Exception {
        JsonNode event = Json.mapper().readTree("""
                {"id":"E1","event_type":"service.updated","data":{"type":"service","id":"PS1","name":"billing",
                 "teams":[null, 7, {"id":"PT1"}, {"name":"Ops"}, {"id":"PT2","summary":null,"name":"Core"}]}}
                """);
        EventMetadata metadata = EventMetadata.from(event);
        assertThat(metadata.serviceName()).isEqualTo("billing");
        assertThat(metadata.teamIds()).containsExactly("PT1", "PT2");
        assertThat(metadata.teamNames()).containsExactly("Ops", "Core");
    }

    @Test
    void priorityNameFallsBackToNameWhenSummaryMissing() throws Exception {
        JsonNode event = Json.mapper().readTree("""
                {"id":"E1","event_type":"incident.priority_updated","data":{"type":"incident","id":"Q1",
                 "priority":{"id":"PP","name":"P4"},"service":{"id":"PS","name":"db"}}}
                """);
        EventMetadata metadata = EventMetadata.from(event);
        assertThat(metadata.priority()).isEqualTo("P4");
        assertThat(metadata.serviceName()).isEqualTo("db");
    }

    @Test
    void oddShapesNeverThrow() throws Exception {
        for (String json : List.of("{}", "{\"data\":null}", "{\"data\":[]}", "{\"data\":{\"type\":\"incident\"}}",
                "{\"data\":{\"type\":\"incident\",\"id\":\"Q\",\"teams\":{},\"assignees\":\"x\",\"priority\":\"P1\","
                        + "\"number\":1.5}}", "{\"agent\":\"someone\",\"data\":{\"type\":\"service\"}}")) {
            EventMetadata metadata = EventMetadata.from(Json.mapper().readTree(json));
            assertThat(metadata.teamIds()).as(json).isNull();
            assertThat(metadata.priority()).as(json).isNull();
            assertThat(metadata.incidentNumber()).as(json).isNull();
            assertThat(metadata.agentId()).as(json).isNull();
        }
        assertThat(EventMetadata.from(null).eventId()).isNull();
    }

    @Test
    void listsAreImmutable() {
        EventMetadata metadata = EventFixtures.event("incident.triggered.json").metadata();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> metadata.teamIds().add("X"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
