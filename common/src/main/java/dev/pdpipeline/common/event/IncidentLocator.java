package dev.pdpipeline.common.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * Finds the incident a PagerDuty V3 event is about.
 *
 * <p>Where the incident lives depends on {@code event.data.type}: for {@code incident} it is
 * {@code data} itself; for {@code incident_role_assignment} it is inside
 * {@code data.incident_role_assignments[].incident}; for the other incident data types it is the
 * reference {@code data.incident}. Service events and {@code pagey.ping} carry no incident.
 * Unknown data types that carry a {@code data.incident} reference are handled too, because
 * PagerDuty adds event types over time.
 */
public final class IncidentLocator {

    private IncidentLocator() {
    }

    /**
     * The incident object (full incident or reference) of an event, if it carries one.
     *
     * @param event the {@code event} object of a delivery (not the delivery root)
     */
    public static Optional<JsonNode> incident(JsonNode event) {
        if (event == null || !event.isObject()) {
            return Optional.empty();
        }
        JsonNode data = event.get("data");
        if (data == null || !data.isObject()) {
            return Optional.empty();
        }
        String dataType = text(data.get("type"));
        if ("incident".equals(dataType)) {
            return hasId(data) ? Optional.of(data) : Optional.empty();
        }
        JsonNode ref = data.get("incident");
        if (hasId(ref)) {
            return Optional.of(ref);
        }
        JsonNode assignments = data.get("incident_role_assignments");
        if (assignments != null && assignments.isArray()) {
            for (JsonNode assignment : assignments) {
                JsonNode inner = assignment == null ? null : assignment.get("incident");
                if (hasId(inner)) {
                    return Optional.of(inner);
                }
            }
        }
        return Optional.empty();
    }

    /** The incident id of an event, if it carries an incident. */
    public static Optional<String> incidentId(JsonNode event) {
        return incident(event).map(i -> i.get("id").asText());
    }

    /**
     * The Kafka record key for a delivery: the incident id, else the resource id
     * ({@code event.data.id}, e.g. a service), else the referenced service
     * ({@code event.data.service.id}: {@code service_field_values} has no {@code data.id}), else
     * empty (not a recognisable event, or {@code pagey.ping}).
     *
     * @param delivery the whole delivery body ({@code {"event": {...}}})
     */
    public static Optional<String> partitionKey(JsonNode delivery) {
        if (delivery == null || !delivery.isObject()) {
            return Optional.empty();
        }
        JsonNode event = delivery.get("event");
        Optional<String> incidentId = incidentId(event);
        if (incidentId.isPresent()) {
            return incidentId;
        }
        JsonNode data = event == null ? null : event.get("data");
        if (hasId(data)) {
            return Optional.of(data.get("id").asText());
        }
        JsonNode service = data == null ? null : data.get("service");
        if (hasId(service)) {
            return Optional.of(service.get("id").asText());
        }
        return Optional.empty();
    }

    private static boolean hasId(JsonNode node) {
        if (node == null || !node.isObject()) {
            return false;
        }
        JsonNode id = node.get("id");
        return id != null && id.isTextual() && !id.asText().isBlank();
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }
}
