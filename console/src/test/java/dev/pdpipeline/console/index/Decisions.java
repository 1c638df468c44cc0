package dev.pdpipeline.console.index;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.nio.charset.StandardCharsets;

/** Builds decisions records in the processor's format (schema_version 1) for tests. */
public final class Decisions {

    private Decisions() {
    }

    public static ObjectNode record(String eventId, String incident, String title, int offset, String outcome,
            String at) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("schema_version", 1);
        n.put("event_id", eventId);
        n.put("event_type", "incident.triggered");
        n.put("occurred_at", at);
        n.put("received_at", at);
        n.put("decided_at", at);
        ObjectNode inc = n.putObject("incident");
        inc.put("id", incident);
        inc.put("number", 42);
        inc.put("title", title);
        inc.put("html_url", "https://example.pagerduty.com/incidents/" + incident);
        inc.put("service_id", "PSVC1");
        inc.put("service_name", "checkout-api");
        inc.put("urgency", "high");
        inc.put("priority", "P1");
        ObjectNode src = n.putObject("source");
        src.put("topic", "pagerduty.webhooks.raw");
        src.put("partition", 0);
        src.put("offset", offset);
        n.put("outcome", outcome);
        n.putArray("triggers");
        return n;
    }

    public static ObjectNode routed(ObjectNode record, String trigger, String agent, String requestId) {
        ObjectNode t = ((ArrayNode) record.get("triggers")).addObject();
        t.put("trigger", trigger);
        t.put("decision", "routed");
        t.putObject("target").put("kind", "agent").put("name", agent);
        t.put("topic", "agent." + agent + ".requests");
        t.put("request_id", requestId);
        return record;
    }

    public static ObjectNode decided(ObjectNode record, String trigger, String decision, String field, String reason) {
        ObjectNode t = ((ArrayNode) record.get("triggers")).addObject();
        t.put("trigger", trigger);
        t.put("decision", decision);
        if (field != null) {
            t.put("field", field);
        }
        t.put("reason", reason);
        return record;
    }

    public static byte[] bytes(ObjectNode n) {
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
