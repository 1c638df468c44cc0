package dev.pdpipeline.examples.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What the example agent answers to a request: a short markdown note with the incident's facts
 * and a canned diagnosis checklist. A real agent would investigate here; this one shows the
 * shape of a request and of a result.
 */
public final class DiagnosisNote {

    private DiagnosisNote() {
    }

    /**
     * The result for a request envelope: {@code {"request_id","incident_id","agent","note","result_id"}}.
     *
     * @throws IllegalArgumentException when the request lacks {@code request_id} or an incident id
     */
    public static ObjectNode result(ObjectMapper mapper, JsonNode request, String fallbackAgent) {
        Objects.requireNonNull(request, "request");
        String requestId = text(request, "request_id");
        if (requestId == null) {
            throw new IllegalArgumentException("request has no request_id");
        }
        String incidentId = text(request.path("metadata"), "incident_id");
        if (incidentId == null) {
            throw new IllegalArgumentException("request " + requestId + " is not about an incident (metadata.incident_id"
                    + " is null): nothing to write a note on");
        }
        // Answer as the agent the request was routed to: the notes writer checks that they match.
        String agent = text(request, "agent") != null ? text(request, "agent") : fallbackAgent;
        ObjectNode result = mapper.createObjectNode();
        result.put("request_id", requestId);
        result.put("incident_id", incidentId);
        result.put("agent", agent);
        result.put("note", markdown(request));
        result.put("result_id", resultId(requestId, agent));
        return result;
    }

    /**
     * A stable idempotency key: the same request always gives the same id, so handling a request
     * twice (a crash before the commit, a rebalance) writes one note.
     */
    public static String resultId(String requestId, String agent) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("example-agent\n" + agent + "\n" + requestId).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** The note text. */
    public static String markdown(JsonNode request) {
        JsonNode md = request.path("metadata");
        String service = or(text(md, "service_name"), text(md, "service_id"), "unknown service");
        StringBuilder b = new StringBuilder();
        b.append("**Example diagnosis** for incident");
        if (md.hasNonNull("incident_number")) {
            b.append(" #").append(md.get("incident_number").asText());
        }
        b.append(": ").append(or(text(md, "title"), text(request, "text"), "(no title)")).append("\n\n");
        b.append("- Priority: ").append(or(text(md, "priority"), "none"))
                .append(" · Urgency: ").append(or(text(md, "urgency"), "unknown"))
                .append(" · Status: ").append(or(text(md, "status"), "unknown")).append('\n');
        b.append("- Service: ").append(service);
        if (text(md, "service_id") != null && text(md, "service_name") != null) {
            b.append(" (").append(text(md, "service_id")).append(')');
        }
        b.append('\n');
        b.append("- Event: ").append(or(text(md, "event_type"), "?")).append(" at ")
                .append(or(text(md, "occurred_at"), "?")).append(", trigger `")
                .append(or(text(request, "trigger"), "?")).append("`\n\n");
        b.append("Checklist:\n");
        b.append("1. Check recent deploys and config changes of ").append(service).append(".\n");
        b.append("2. Compare its error rate and latency with the last 24 hours.\n");
        b.append("3. Check the health of its dependencies (databases, queues, upstream APIs).\n");
        b.append("4. Look for other open incidents on the same service.\n\n");
        if (request.path("replay").asBoolean(false)) {
            b.append("_Answer to a replayed request._\n");
        }
        b.append("_From the example agent: a canned checklist, not a real diagnosis._");
        return b.toString();
    }

    /** A one-line summary for the log. */
    public static String summary(JsonNode request) {
        JsonNode md = request.path("metadata");
        return String.format("incident %s '%s' %s %s on %s (%s%s)", or(text(md, "incident_id"), "-"),
                or(text(md, "title"), ""), or(text(md, "priority"), "no priority"), or(text(md, "urgency"), "?"),
                or(text(md, "service_name"), text(md, "service_id"), "?"), or(text(md, "event_type"), "?"),
                request.path("replay").asBoolean(false) ? ", replay" : "");
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }

    private static String or(String... values) {
        for (String v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
