package dev.pdpipeline.processor.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.trigger.Priority;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.Urgency;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TriggerMatcherTest {

    // ---- builders -------------------------------------------------------------------------

    /** A trigger with no filters; tests change one field at a time. */
    private static final class T {
        List<String> eventTypes = List.of();
        List<String> services = List.of();
        List<String> teams = List.of();
        Priority minPriority;
        Urgency minUrgency;
        Map<String, List<String>> filter = new LinkedHashMap<>();
        boolean enabled = true;

        T eventTypes(String... v) { eventTypes = List.of(v); return this; }
        T services(String... v) { services = List.of(v); return this; }
        T teams(String... v) { teams = List.of(v); return this; }
        T minPriority(Priority p) { minPriority = p; return this; }
        T minUrgency(Urgency u) { minUrgency = u; return this; }
        T filter(String field, String... values) { filter.put(field, List.of(values)); return this; }
        T disabled() { enabled = false; return this; }

        Trigger build() {
            return new Trigger("t1", null, null, "agent-a", enabled, "whsec-test", null, null, null,
                    eventTypes, services, teams, minPriority, minUrgency, filter, null);
        }
    }

    private static T trigger() {
        return new T();
    }

    /** Metadata of a full incident; tests change one field at a time. */
    private static final class M {
        String eventType = "incident.triggered";
        String dataType = "incident";
        String incidentId = "Q2ZK8INC77";
        Long number = 4711L;
        String status = "triggered";
        String urgency = "high";
        String priority = "P2";
        String serviceId = "PSVC4PAY";
        String serviceName = "payment-service";
        List<String> teamIds = List.of("PTEAM0PAY", "PTEAM0SRE");
        List<String> teamNames = List.of("Payments", "SRE");
        List<String> assignees = List.of("PUSR9A1");
        String title = "Checkout latency above SLO";

        M eventType(String v) { eventType = v; return this; }
        M urgency(String v) { urgency = v; return this; }
        M priority(String v) { priority = v; return this; }
        M service(String id, String name) { serviceId = id; serviceName = name; return this; }
        M teams(List<String> ids, List<String> names) { teamIds = ids; teamNames = names; return this; }

        /** An incident_note event: only the incident reference, no service/teams/priority/urgency. */
        M note() {
            eventType = "incident.annotated";
            dataType = "incident_note";
            number = null;
            status = urgency = priority = serviceId = serviceName = null;
            teamIds = teamNames = assignees = null;
            return this;
        }

        EventMetadata build() {
            return new EventMetadata("01HXEVT1", eventType, "incident", "2025-05-14T09:12:44Z", dataType,
                    incidentId, number, "checkout-latency", status, urgency, priority,
                    "https://example.pagerduty.com/incidents/" + incidentId, serviceId, serviceName,
                    teamIds, teamNames, assignees, title, "PUSR9A1", "user_reference", "Dana Oncall");
        }
    }

    private static M event() {
        return new M();
    }

    private static Decision eval(T t, M m) {
        return TriggerMatcher.evaluate(t.build(), m.build());
    }

    private static void assertRejected(Decision d, String field, String reasonFragment) {
        assertThat(d).isInstanceOf(Decision.Rejected.class);
        Decision.Rejected r = (Decision.Rejected) d;
        assertThat(r.triggerName()).isEqualTo("t1");
        assertThat(r.field()).isEqualTo(field);
        assertThat(r.reason()).contains(reasonFragment);
        assertThat(d.isRouted()).isFalse();
    }

    private static void assertRouted(Decision d) {
        assertThat(d).isEqualTo(new Decision.Routed("t1", Target.agent("agent-a"), "spec.agent"));
        assertThat(d.isRouted()).isTrue();
    }

    // ---- no filters ----------------------------------------------------------------------

    @Test
    void triggerWithoutFiltersRoutesEveryEventIncludingSparseOnes() {
        assertRouted(eval(trigger(), event()));
        assertRouted(eval(trigger(), event().note()));
    }

    @Test
    void ignoresEnabledFlagBecauseTheTopologyHandlesIt() {
        assertRouted(eval(trigger().disabled(), event()));
    }

    @Test
    void rejectsNullArgumentsByName() {
        assertThatThrownBy(() -> TriggerMatcher.evaluate(null, event().build())).hasMessage("trigger");
        assertThatThrownBy(() -> TriggerMatcher.evaluate(trigger().build(), null)).hasMessage("metadata");
    }

    // ---- event_types ---------------------------------------------------------------------

    @ParameterizedTest(name = "{0} vs {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "incident.triggered                      | incident.triggered  | true",
            "incident.triggered,incident.resolved    | incident.resolved   | true",
            "incident.triggered                      | incident.resolved   | false",
            "incident.triggered                      | INCIDENT.TRIGGERED  | false",
            "incident.triggered                      | incident.triggered.x| false",
    })
    void eventTypesMatchExactNames(String allowed, String eventType, boolean routed) {
        Decision d = eval(trigger().eventTypes(allowed.split(",")), event().eventType(eventType));
        if (routed) {
            assertRouted(d);
        } else {
            assertRejected(d, "event_types", "event type " + eventType + " is not in event_types");
        }
    }

    // ---- allowed_services ----------------------------------------------------------------

    @ParameterizedTest(name = "allowed {0} vs service {1}/{2} -> {3}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "PSVC4PAY               | PSVC4PAY | payment-service | true",
            "payment-service        | PSVC4PAY | payment-service | true",
            "Payment-Service        | PSVC4PAY | payment-service | true",
            "psvc4pay               | PSVC4PAY | payment-service | false",
            "PXYZ123,payment-service| PSVC4PAY | payment-service | true",
            "PXYZ123,production-api | PSVC4PAY | payment-service | false",
            "payment service        | PSVC4PAY | payment-service | false",
            "PSVC4PAY               | PSVC4PAY | -               | true",
            "payment-service        | -        | payment-service | true",
            "payment-service        | PSVC4PAY | -               | false",
    })
    void allowedServicesMatchIdExactlyOrNameIgnoringCase(String allowed, String id, String name, boolean routed) {
        Decision d = eval(trigger().services(allowed.split(",")), event().service(id, name));
        if (routed) {
            assertRouted(d);
        } else {
            assertRejected(d, "allowed_services", "is not in allowed_services");
        }
    }

    @Test
    void eventWithoutServiceFailsAllowedServices() {
        assertRejected(eval(trigger().services("PSVC4PAY"), event().service(null, null)),
                "allowed_services", "event carries no service");
        assertRejected(eval(trigger().services("PSVC4PAY"), event().note()),
                "allowed_services", "event carries no service (data.type incident_note)");
    }

    // ---- allowed_teams -------------------------------------------------------------------

    @ParameterizedTest(name = "allowed {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "PTEAM0PAY          | true",
            "PTEAM0SRE          | true",
            "sre                | true",
            "PAYMENTS           | true",
            "P456DEF,PTEAM0SRE  | true",
            "pteam0sre          | false",
            "P456DEF            | false",
            "Infrastructure     | false",
    })
    void allowedTeamsMatchAnyTeamByIdOrNameIgnoringCase(String allowed, boolean routed) {
        Decision d = eval(trigger().teams(allowed.split(",")), event());
        if (routed) {
            assertRouted(d);
        } else {
            assertRejected(d, "allowed_teams", "is in allowed_teams");
        }
    }

    @Test
    void eventWithoutTeamFailsAllowedTeams() {
        assertRejected(eval(trigger().teams("PTEAM0PAY"), event().teams(null, null)),
                "allowed_teams", "event carries no team");
        assertRejected(eval(trigger().teams("PTEAM0PAY"), event().teams(List.of(), List.of())),
                "allowed_teams", "event carries no team");
        assertRejected(eval(trigger().teams("PTEAM0PAY"), event().note()), "allowed_teams", "no team");
    }

    // ---- min_priority --------------------------------------------------------------------

    @ParameterizedTest(name = "min {0}, incident {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "P2 | P1 | true",
            "P2 | P2 | true",
            "P2 | p2 | true",
            "P2 | ' P1 ' | true",
            "P2 | P3 | false",
            "P1 | P2 | false",
            "P5 | P5 | true",
            "P5 | P4 | true",
    })
    void minPriorityPassesThatPriorityAndHigher(Priority min, String priority, boolean routed) {
        Decision d = eval(trigger().minPriority(min), event().priority(priority));
        if (routed) {
            assertRouted(d);
        } else {
            assertRejected(d, "min_priority", " is below min_priority " + min);
        }
    }

    @Test
    void minPriorityReasonNamesBothPriorities() {
        Decision d = eval(trigger().minPriority(Priority.P2), event().priority("P3"));
        assertThat(((Decision.Rejected) d).reason()).isEqualTo("priority P3 is below min_priority P2");
    }

    @Test
    void incidentWithoutPriorityFailsMinPriority() {
        assertRejected(eval(trigger().minPriority(Priority.P5), event().priority(null)),
                "min_priority", "incident has no priority");
    }

    @Test
    void eventWithoutIncidentPriorityFailsMinPriority() {
        assertRejected(eval(trigger().minPriority(Priority.P5), event().note()),
                "min_priority", "event carries no incident priority (data.type incident_note)");
    }

    @ParameterizedTest
    @CsvSource({"P6", "P0", "SEV1", "SEV-1", "Critical", "''", "P 1"})
    void priorityOutsideP1ToP5FailsMinPriority(String priority) {
        assertRejected(eval(trigger().minPriority(Priority.P5), event().priority(priority)),
                "min_priority", "is not one of P1-P5");
    }

    // ---- min_urgency ---------------------------------------------------------------------

    @ParameterizedTest(name = "min {0}, incident {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "HIGH | high | true",
            "HIGH | HIGH | true",
            "HIGH | low  | false",
            "LOW  | low  | true",
            "LOW  | high | true",
    })
    void minUrgencyHighPassesOnlyHighAndLowPassesBoth(Urgency min, String urgency, boolean routed) {
        Decision d = eval(trigger().minUrgency(min), event().urgency(urgency));
        if (routed) {
            assertRouted(d);
        } else {
            assertRejected(d, "min_urgency", "urgency low is below min_urgency high");
        }
    }

    @Test
    void eventWithoutUrgencyFailsMinUrgency() {
        assertRejected(eval(trigger().minUrgency(Urgency.LOW), event().urgency(null)),
                "min_urgency", "incident has no urgency");
        assertRejected(eval(trigger().minUrgency(Urgency.LOW), event().note()),
                "min_urgency", "event carries no incident urgency");
        assertRejected(eval(trigger().minUrgency(Urgency.LOW), event().urgency("medium")),
                "min_urgency", "urgency medium is neither high nor low");
    }

    // ---- spec.filter ---------------------------------------------------------------------

    @ParameterizedTest(name = "metadata.{0} in {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "service         | PSVC4PAY                | true",
            "service         | PAYMENT-SERVICE         | true",
            "service         | production-api          | false",
            "service         | production-api,PSVC4PAY | true",
            "service_id      | PSVC4PAY                | true",
            "service_id      | psvc4pay                | false",
            "service_name    | Payment-Service         | true",
            "team            | sre                     | true",
            "team            | PTEAM0SRE               | true",
            "team            | Infra                   | false",
            "team_ids        | PTEAM0PAY               | true",
            "team_names      | payments                | true",
            "assignee_ids    | PUSR9A1                 | true",
            "assignee_ids    | PUSR0000                | false",
            "status          | triggered               | true",
            "status          | acknowledged,resolved   | false",
            "status          | Triggered               | false",
            "urgency         | high                    | true",
            "priority        | P1,P2                   | true",
            "priority        | p2                      | false",
            "incident_number | 4711                    | true",
            "incident_number | 4712                    | false",
            "event_type      | incident.triggered      | true",
            "data_type       | incident                | true",
            "agent_id        | PUSR9A1                 | true",
            "title           | Checkout latency above SLO | true",
            "title           | checkout latency above slo | false",
    })
    void filterMatchesAnyOfItsValues(String field, String values, boolean routed) {
        Decision d = eval(trigger().filter(field, values.split(",")), event());
        if (routed) {
            assertRouted(d);
        } else {
            assertRejected(d, "filter.metadata." + field, "matches none of");
        }
    }

    @Test
    void filterOnAbsentFieldFails() {
        assertRejected(eval(trigger().filter("service", "PSVC4PAY"), event().note()),
                "filter.metadata.service", "event has no service");
        assertRejected(eval(trigger().filter("priority", "P1"), event().priority(null)),
                "filter.metadata.priority", "event has no priority");
        assertRejected(eval(trigger().filter("team", "SRE"), event().teams(List.of(), List.of())),
                "filter.metadata.team", "event has no team");
    }

    @Test
    void filterFieldsAreCheckedInTheOrderWritten() {
        T t = trigger().filter("status", "resolved").filter("urgency", "low");
        assertRejected(eval(t, event()), "filter.metadata.status", "status [triggered] matches none of [resolved]");
        T reversed = trigger().filter("urgency", "low").filter("status", "resolved");
        assertRejected(eval(reversed, event()), "filter.metadata.urgency", "urgency");
    }

    // ---- order ---------------------------------------------------------------------------

    @Test
    void firstRejectionWinsInTheDocumentedOrder() {
        T all = trigger().eventTypes("incident.resolved").services("PXYZ123").teams("P456DEF")
                .minPriority(Priority.P1).minUrgency(Urgency.HIGH).filter("status", "resolved");
        M low = event().urgency("low").priority("P3");

        assertRejected(eval(all, low), "event_types", "incident.triggered");
        all.eventTypes("incident.triggered");
        assertRejected(eval(all, low), "allowed_services", "PSVC4PAY");
        all.services("PSVC4PAY");
        assertRejected(eval(all, low), "allowed_teams", "P456DEF");
        all.teams("PTEAM0SRE");
        assertRejected(eval(all, low), "min_priority", "priority P3 is below min_priority P1");
        all.minPriority(Priority.P3);
        assertRejected(eval(all, low), "min_urgency", "urgency low is below min_urgency high");
        all.minUrgency(Urgency.LOW);
        assertRejected(eval(all, low), "filter.metadata.status", "resolved");
        all.filter("status", "resolved", "triggered");
        assertRouted(eval(all, low));
    }
}
