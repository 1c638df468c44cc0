package dev.pdpipeline.common.event;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The facts of one PagerDuty V3 event that triggers filter on and agents receive as
 * {@code metadata}.
 *
 * <p>Only what the event itself carries: a field PagerDuty did not send is {@code null} (lists
 * included; an empty list means PagerDuty sent an empty list). Nothing is looked up or guessed,
 * because a filter that silently matched on an invented value would route events wrongly.
 * Where each field comes from per {@code data.type} is documented in
 * {@code docs/trigger-semantics.md} and in {@link #from(JsonNode)}.
 *
 * @param priority     the priority NAME ({@code data.priority.summary}, else {@code .name}), e.g. "P1"
 * @param title        incident title ({@code data.title}), else the incident reference's summary
 * @param agentId      {@code event.agent.id}: the actor that caused the event, not an AOF agent
 */
public record EventMetadata(
        String eventId, String eventType, String resourceType, String occurredAt, String dataType,
        String incidentId, Long incidentNumber, String incidentKey, String status, String urgency,
        String priority,
        String htmlUrl, String serviceId, String serviceName,
        List<String> teamIds, List<String> teamNames, List<String> assigneeIds,
        String title,
        String agentId, String agentType, String agentSummary) {

    /** Every field name {@link #values(String)} understands (the AOF table plus our additions). */
    public static final Set<String> FIELD_NAMES = Set.of(
            "event_id", "event_type", "resource_type", "occurred_at", "data_type",
            "incident_id", "incident_number", "incident_key", "status", "urgency", "priority",
            "html_url", "service_id", "service_name", "team_ids", "team_names", "assignee_ids",
            "title", "agent_id", "agent_type", "agent_summary", "service", "team");

    public EventMetadata {
        teamIds = copy(teamIds);
        teamNames = copy(teamNames);
        assigneeIds = copy(assigneeIds);
    }

    /**
     * Extracts the metadata of an {@code event} object (not the delivery root). Tolerates nulls
     * and unknown fields everywhere; never throws on odd shapes.
     *
     * <ul>
     *   <li>{@code data.type == incident}: everything from {@code data} itself.</li>
     *   <li>other incident types: the incident reference ({@link IncidentLocator#incident}) gives
     *       incident id, html_url and title (its summary); service/teams only if {@code data}
     *       carries {@code service}/{@code teams} itself (e.g. incident_workflow_instance).</li>
     *   <li>{@code data.type == service}: the service is {@code data} (id, summary or name);
     *       teams from {@code data.teams}.</li>
     *   <li>{@code service_field_values}: the service is the reference {@code data.service}.</li>
     *   <li>html_url is the incident's page, else (no incident) the service's.</li>
     * </ul>
     * Status, urgency, priority, number, key and assignees only come from a full incident
     * ({@code data.type == incident}): other data types have a status/assignees of their own
     * (task, responder, role assignment) that are not the incident's.
     */
    public static EventMetadata from(JsonNode event) {
        JsonNode ev = object(event);
        JsonNode data = object(field(ev, "data"));
        String dataType = text(field(data, "type"));
        boolean fullIncident = "incident".equals(dataType) && data != null;
        boolean serviceItself = "service".equals(dataType) && data != null;

        JsonNode incident = IncidentLocator.incident(ev).orElse(null);
        JsonNode service = serviceItself ? data : object(field(data, "service"));
        JsonNode teams = field(data, "teams");
        JsonNode agent = object(field(ev, "agent"));

        // The web page of the event's subject: the incident if there is one, else the service.
        String htmlUrl = incident != null ? text(field(incident, "html_url")) : text(field(service, "html_url"));
        String title = fullIncident ? firstNonNull(text(field(data, "title")), text(field(data, "summary")))
                : incident != null ? text(field(incident, "summary")) : null;

        return new EventMetadata(
                text(field(ev, "id")),
                text(field(ev, "event_type")),
                text(field(ev, "resource_type")),
                text(field(ev, "occurred_at")),
                dataType,
                incident == null ? null : text(field(incident, "id")),
                fullIncident ? number(field(data, "number")) : null,
                fullIncident ? text(field(data, "incident_key")) : null,
                fullIncident ? text(field(data, "status")) : null,
                fullIncident ? text(field(data, "urgency")) : null,
                fullIncident ? name(object(field(data, "priority"))) : null,
                htmlUrl,
                text(field(service, "id")),
                name(service),
                ids(teams),
                names(teams),
                fullIncident ? ids(field(data, "assignees")) : null,
                title,
                text(field(agent, "id")),
                text(field(agent, "type")),
                text(field(agent, "summary")));
    }

    /** Snake_case JSON, as agents receive it; absent fields are JSON null. Layout: {@link #writeJson}. */
    public ObjectNode toJson() {
        try (TokenBuffer buffer = new TokenBuffer(Json.mapper(), false)) {
            writeJson(buffer);
            try (JsonParser parser = buffer.asParser()) {
                return Json.mapper().readTree(parser);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the metadata tree", e); // in memory: a bug
        }
    }

    /**
     * Writes the metadata object (the envelope's {@code metadata}) as the next value of
     * {@code g}, field by field, so the envelope needs no tree.
     */
    public void writeJson(JsonGenerator g) throws IOException {
        g.writeStartObject();
        text(g, "event_id", eventId);
        text(g, "event_type", eventType);
        text(g, "resource_type", resourceType);
        text(g, "occurred_at", occurredAt);
        text(g, "data_type", dataType);
        text(g, "incident_id", incidentId);
        if (incidentNumber == null) {
            g.writeNullField("incident_number");
        } else {
            g.writeNumberField("incident_number", incidentNumber.longValue());
        }
        text(g, "incident_key", incidentKey);
        text(g, "status", status);
        text(g, "urgency", urgency);
        text(g, "priority", priority);
        text(g, "html_url", htmlUrl);
        text(g, "service_id", serviceId);
        text(g, "service_name", serviceName);
        list(g, "team_ids", teamIds);
        list(g, "team_names", teamNames);
        list(g, "assignee_ids", assigneeIds);
        text(g, "title", title);
        if (agentId == null && agentType == null && agentSummary == null) {
            g.writeNullField("agent");
        } else {
            g.writeObjectFieldStart("agent");
            text(g, "id", agentId);
            text(g, "type", agentType);
            text(g, "summary", agentSummary);
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void text(JsonGenerator g, String name, String value) throws IOException {
        if (value == null) {
            g.writeNullField(name);
        } else {
            g.writeStringField(name, value);
        }
    }

    private static void list(JsonGenerator g, String name, List<String> values) throws IOException {
        if (values == null) {
            g.writeNullField(name);
            return;
        }
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    /**
     * The values a {@code spec.filter} field ({@code metadata.<field>}, given without the prefix)
     * is matched against: {@code service} gives the service id and name, {@code team} all team
     * ids and names, list fields their elements, scalars a one-element list of their string
     * form. An absent field (or a name not in {@link #FIELD_NAMES}) gives an empty list.
     */
    public List<String> values(String filterField) {
        Objects.requireNonNull(filterField, "filterField");
        switch (filterField) {
            case "service":
                return nonNull(serviceId, serviceName);
            case "team": {
                List<String> all = new ArrayList<>(orEmpty(teamIds));
                all.addAll(orEmpty(teamNames));
                return List.copyOf(all);
            }
            case "team_ids":
                return orEmpty(teamIds);
            case "team_names":
                return orEmpty(teamNames);
            case "assignee_ids":
                return orEmpty(assigneeIds);
            default:
                return nonNull(scalar(filterField));
        }
    }

    private String scalar(String field) {
        switch (field) {
            case "event_id": return eventId;
            case "event_type": return eventType;
            case "resource_type": return resourceType;
            case "occurred_at": return occurredAt;
            case "data_type": return dataType;
            case "incident_id": return incidentId;
            case "incident_number": return incidentNumber == null ? null : incidentNumber.toString();
            case "incident_key": return incidentKey;
            case "status": return status;
            case "urgency": return urgency;
            case "priority": return priority;
            case "html_url": return htmlUrl;
            case "service_id": return serviceId;
            case "service_name": return serviceName;
            case "title": return title;
            case "agent_id": return agentId;
            case "agent_type": return agentType;
            case "agent_summary": return agentSummary;
            default: return null;
        }
    }

    private static List<String> nonNull(String... values) {
        List<String> out = new ArrayList<>(values.length);
        for (String v : values) {
            if (v != null) {
                out.add(v);
            }
        }
        return List.copyOf(out);
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }

    private static List<String> orEmpty(List<String> list) {
        return list == null ? List.of() : list;
    }

    private static List<String> copy(List<String> list) {
        if (list == null) {
            return null;
        }
        List<String> out = new ArrayList<>(list.size());
        for (String s : list) {
            if (s != null) {
                out.add(s);
            }
        }
        return Collections.unmodifiableList(out);
    }

    private static JsonNode field(JsonNode node, String name) {
        return node == null ? null : node.get(name);
    }

    private static JsonNode object(JsonNode node) {
        return node != null && node.isObject() ? node : null;
    }

    /** String form of a scalar (strings as-is, numbers/booleans printed); null for null/containers. */
    private static String text(JsonNode node) {
        return node != null && node.isValueNode() && !node.isNull() ? node.asText() : null;
    }

    private static Long number(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.asLong();
        }
        if (node.isTextual()) {
            try {
                return Long.valueOf(node.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** A reference's display name: {@code summary}, else {@code name}. */
    private static String name(JsonNode ref) {
        String summary = text(field(ref, "summary"));
        return summary != null ? summary : text(field(ref, "name"));
    }

    /** Ids of an array of references; null if the field is not an array. */
    private static List<String> ids(JsonNode array) {
        if (array == null || !array.isArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (JsonNode element : array) {
            String id = text(field(object(element), "id"));
            if (id != null) {
                out.add(id);
            }
        }
        return out;
    }

    /** Names of an array of references; null if the field is not an array. */
    private static List<String> names(JsonNode array) {
        if (array == null || !array.isArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (JsonNode element : array) {
            String name = name(object(element));
            if (name != null) {
                out.add(name);
            }
        }
        return out;
    }
}
