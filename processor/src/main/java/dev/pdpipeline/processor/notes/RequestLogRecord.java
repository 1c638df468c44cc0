package dev.pdpipeline.processor.notes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * One record of the compacted request log ({@code TopicCatalogue.requestLog()}): which trigger
 * routed a request, so the notes writer can pick the trigger's API token and honour the replay
 * rule. The routing topology writes it in the same transaction as the request; key = the
 * request id (UTF-8), value = {@link #toJson}.
 *
 * @param writeBack false for replays: their results are acknowledged but not written
 */
public record RequestLogRecord(String requestId, String trigger, String agent, String incidentId, String eventId,
        boolean replay, boolean writeBack, String routedAt) {

    public RequestLogRecord {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(agent, "agent");
    }

    /**
     * The record value, UTF-8 JSON:
     * {@code {"request_id","trigger","agent","incident_id","event_id","replay","write_back","routed_at"}}.
     * Use the request id as the key ({@link #key}).
     */
    public static byte[] toJson(String requestId, String trigger, String agent, String incidentId, String eventId,
            boolean replay, boolean writeBack, Instant routedAt) {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(agent, "agent");
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("request_id", requestId);
        json.put("trigger", trigger);
        json.put("agent", agent);
        json.put("incident_id", incidentId);
        json.put("event_id", eventId);
        json.put("replay", replay);
        json.put("write_back", writeBack);
        json.put("routed_at", routedAt == null ? null : routedAt.toString());
        try {
            return Json.mapper().writeValueAsBytes(json);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise a request log record", e);
        }
    }

    /** The record key: the request id as UTF-8. */
    public static byte[] key(String requestId) {
        return Objects.requireNonNull(requestId, "requestId").getBytes(StandardCharsets.UTF_8);
    }

    /** This record as its value bytes. */
    public byte[] toJson() {
        return toJson(requestId, trigger, agent, incidentId, eventId, replay, writeBack,
                routedAt == null ? null : Instant.parse(routedAt));
    }

    /**
     * Reads a value written by {@link #toJson}; unknown fields are ignored, {@code write_back}
     * defaults to {@code !replay}.
     *
     * @throws IllegalArgumentException when the value is not such a record
     */
    public static RequestLogRecord parse(byte[] value) {
        try {
            JsonNode json = Json.mapper().readTree(value);
            if (json == null || !json.isObject()) {
                throw new IllegalArgumentException("request log value is not a JSON object");
            }
            String requestId = text(json, "request_id");
            String trigger = text(json, "trigger");
            String agent = text(json, "agent");
            if (requestId == null || trigger == null || agent == null) {
                throw new IllegalArgumentException("request log value lacks request_id, trigger or agent");
            }
            boolean replay = json.path("replay").asBoolean(false);
            boolean writeBack = json.has("write_back") ? json.path("write_back").asBoolean(!replay) : !replay;
            return new RequestLogRecord(requestId, trigger, agent, text(json, "incident_id"), text(json, "event_id"),
                    replay, writeBack, text(json, "routed_at"));
        } catch (IOException e) {
            throw new IllegalArgumentException("request log value is not JSON: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }
}
