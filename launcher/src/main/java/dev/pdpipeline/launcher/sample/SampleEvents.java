package dev.pdpipeline.launcher.sample;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Builds PagerDuty V3 webhook deliveries shaped like the ones PagerDuty documents, for every
 * event type, with the fields users want to vary (priority, service, incident...). Used by
 * {@code send-test-event}; the values are ours, the shapes are PagerDuty's.
 */
public final class SampleEvents {

    /** Every V3 event type PagerDuty documents, with the {@code data.type} it carries. */
    public static final Map<String, String> DATA_TYPES;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        for (String t : new String[] {"acknowledged", "delegated", "escalated", "incident_type.changed",
            "priority_updated", "reassigned", "reopened", "resolved", "service_updated", "triggered", "unacknowledged"}) {
            m.put("incident." + t, "incident");
        }
        m.put("incident.annotated", "incident_note");
        m.put("incident.conference_bridge.updated", "incident_conference_bridge");
        m.put("incident.custom_field_values.updated", "incident_field_values");
        m.put("incident.responder.added", "incident_responder");
        m.put("incident.responder.replied", "incident_responder");
        m.put("incident.role.assigned", "incident_role_assignment");
        m.put("incident.status_update_published", "incident_status_update");
        m.put("incident.task.completed", "incident_task");
        m.put("incident.task.created", "incident_task");
        m.put("incident.task.updated", "incident_task");
        m.put("incident.action_invocation.created", "incident_action_invocation");
        m.put("incident.action_invocation.terminated", "incident_action_invocation");
        m.put("incident.action_invocation.updated", "incident_action_invocation");
        m.put("incident.workflow.started", "incident_workflow_instance");
        m.put("incident.workflow.completed", "incident_workflow_instance");
        m.put("service.created", "service");
        m.put("service.custom_field_values.updated", "service_field_values");
        m.put("service.deleted", "service");
        m.put("service.updated", "service");
        m.put("pagey.ping", "ping");
        DATA_TYPES = Collections.unmodifiableMap(m);
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String WEB = "https://example.pagerduty.com";
    private static final String API = "https://api.pagerduty.com";

    private SampleEvents() {
    }

    /** What a sample event says; {@code null} priority means the incident has none. */
    public record Spec(String eventType, String eventId, String incidentId, long incidentNumber, String title,
            String priority, String urgency, String serviceId, String serviceName, String teamId, String teamName,
            Instant occurredAt) {

        public Spec {
            Objects.requireNonNull(eventType, "eventType");
            if (!DATA_TYPES.containsKey(eventType)) {
                throw new IllegalArgumentException("unknown event type '" + eventType + "'; known: " + DATA_TYPES.keySet());
            }
        }

        /** A triggered P1, high-urgency incident on a sample service. */
        public static Spec defaults() {
            return new Spec("incident.triggered", UUID.randomUUID().toString(), "Q1TESTINCIDENT", 1234,
                    "Checkout latency above SLO", "P1", "high", "PSERVICE1", "checkout-api", "PTEAM01", "payments",
                    Instant.now());
        }
    }

    /** The delivery body ({@code {"event": {...}}}) for {@code spec}, as UTF-8 JSON bytes. */
    public static byte[] delivery(Spec spec) {
        try {
            return Json.mapper().writeValueAsBytes(deliveryNode(spec));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The delivery as a JSON tree. */
    public static ObjectNode deliveryNode(Spec spec) {
        String dataType = DATA_TYPES.get(spec.eventType());
        ObjectNode event = NODES.objectNode();
        event.put("id", spec.eventId());
        event.put("event_type", spec.eventType());
        event.put("resource_type", spec.eventType().substring(0, spec.eventType().indexOf('.')));
        event.put("occurred_at", spec.occurredAt().toString());
        event.set("agent", reference("user_reference", "PUSER01", "On-call Engineer", "users"));
        event.set("client", NODES.nullNode());
        event.set("data", data(spec, dataType));
        ObjectNode root = NODES.objectNode();
        root.set("event", event);
        return root;
    }

    private static ObjectNode data(Spec spec, String dataType) {
        switch (dataType) {
            case "incident":
                return incident(spec);
            case "ping": {
                ObjectNode ping = NODES.objectNode();
                ping.put("type", "ping");
                ping.put("message", "Hello from send-test-event!");
                return ping;
            }
            case "service": {
                ObjectNode service = NODES.objectNode();
                service.put("id", spec.serviceId());
                service.put("type", "service");
                service.put("self", API + "/services/" + spec.serviceId());
                service.put("html_url", WEB + "/services/" + spec.serviceId());
                service.put("summary", spec.serviceName());
                service.put("name", spec.serviceName());
                service.put("description", "sample service");
                service.put("status", "active");
                ArrayNode teams = service.putArray("teams");
                teams.add(reference("team_reference", spec.teamId(), spec.teamName(), "teams"));
                return service;
            }
            case "service_field_values": {
                ObjectNode values = NODES.objectNode();
                values.put("type", "service_field_values");
                values.set("service", reference("service_reference", spec.serviceId(), spec.serviceName(), "services"));
                values.putArray("custom_fields");
                return values;
            }
            case "incident_role_assignment": {
                ObjectNode data = NODES.objectNode();
                data.put("type", dataType);
                ObjectNode assignment = data.putArray("incident_role_assignments").addObject();
                assignment.put("id", UUID.nameUUIDFromBytes(spec.eventId().getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString());
                assignment.put("type", "role_assignment_reference");
                assignment.put("status", "active");
                assignment.set("incident", incidentReference(spec));
                assignment.set("assignee", reference("user_reference", "PUSER01", "On-call Engineer", "users"));
                ObjectNode role = assignment.putObject("role");
                role.put("id", "PROLE01");
                role.put("type", "role_reference");
                role.put("summary", "Incident Commander");
                return data;
            }
            default: {
                ObjectNode data = NODES.objectNode();
                data.put("id", "P" + Integer.toHexString(spec.eventId().hashCode()).toUpperCase(Locale.ROOT));
                data.put("type", dataType);
                data.set("incident", incidentReference(spec));
                if ("incident_note".equals(dataType)) {
                    data.put("content", "A sample note");
                    data.put("trimmed", false);
                }
                return data;
            }
        }
    }

    private static ObjectNode incident(Spec spec) {
        ObjectNode incident = NODES.objectNode();
        incident.put("id", spec.incidentId());
        incident.put("type", "incident");
        incident.put("self", API + "/incidents/" + spec.incidentId());
        incident.put("html_url", WEB + "/incidents/" + spec.incidentId());
        incident.put("number", spec.incidentNumber());
        incident.put("status", status(spec.eventType()));
        incident.put("incident_key", UUID.nameUUIDFromBytes(spec.incidentId().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .toString().replace("-", ""));
        incident.put("created_at", spec.occurredAt().toString());
        incident.put("title", spec.title());
        incident.set("service", reference("service_reference", spec.serviceId(), spec.serviceName(), "services"));
        incident.putArray("assignees").add(reference("user_reference", "PUSER01", "On-call Engineer", "users"));
        incident.set("escalation_policy", reference("escalation_policy_reference", "PPOLICY1", "Default", "escalation_policies"));
        ArrayNode teams = incident.putArray("teams");
        if (spec.teamId() != null) {
            teams.add(reference("team_reference", spec.teamId(), spec.teamName(), "teams"));
        }
        if (spec.priority() == null) {
            incident.set("priority", NODES.nullNode());
        } else {
            ObjectNode priority = NODES.objectNode();
            priority.put("html_url", WEB + "/account/incident_priorities");
            priority.put("id", "PPRIO" + spec.priority().toUpperCase(Locale.ROOT));
            priority.put("self", API + "/priorities/PPRIO" + spec.priority().toUpperCase(Locale.ROOT));
            priority.put("summary", spec.priority());
            priority.put("type", "priority_reference");
            incident.set("priority", priority);
        }
        incident.put("urgency", spec.urgency());
        incident.set("conference_bridge", NODES.nullNode());
        incident.set("resolve_reason", NODES.nullNode());
        return incident;
    }

    private static String status(String eventType) {
        if (eventType.equals("incident.acknowledged")) {
            return "acknowledged";
        }
        if (eventType.equals("incident.resolved")) {
            return "resolved";
        }
        return "triggered";
    }

    private static ObjectNode incidentReference(Spec spec) {
        return reference("incident_reference", spec.incidentId(), spec.title(), "incidents");
    }

    private static ObjectNode reference(String type, String id, String summary, String collection) {
        ObjectNode ref = NODES.objectNode();
        ref.put("html_url", WEB + "/" + collection + "/" + id);
        ref.put("id", id);
        ref.put("self", API + "/" + collection + "/" + id);
        ref.put("summary", summary);
        ref.put("type", type);
        return ref;
    }
}
