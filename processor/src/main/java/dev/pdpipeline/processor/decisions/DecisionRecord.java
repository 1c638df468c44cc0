package dev.pdpipeline.processor.decisions;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One record of the decisions topic ({@code TopicCatalogue.decisions()}): what the processor
 * decided for one raw record, per trigger, under the Triggers in force at that moment. Written by
 * the routing topology in the same transaction as the requests it describes; read by
 * {@code explain} and the console, so they show what happened rather than what today's Trigger
 * files would do. Layout (version {@value #SCHEMA_VERSION}): docs/processor.md. Readers ignore
 * unknown fields; writers only add.
 *
 * <p>Written with a streaming generator (no tree per record): this runs for every delivery.
 */
public record DecisionRecord(String eventId, String eventType, String occurredAt, Incident incident,
        String webhookId, String receivedAt, String decidedAt, Source source, String outcome,
        String deadLetterReason, String deadLetterDetail, List<String> signedBy, List<TriggerDecision> triggers) {

    public static final int SCHEMA_VERSION = 1;
    /** Longest text field written (titles, reasons, details); longer ones are cut. */
    public static final int MAX_TEXT = 1024;

    public static final String ROUTED = "routed";
    public static final String NOT_ROUTED = "not_routed";
    public static final String PING = "ping";
    public static final String DEAD_LETTERED = "dead_lettered";

    /** Per-trigger decision codes. */
    public static final String DECISION_ROUTED = "routed";
    public static final String DECISION_DUPLICATE = "duplicate";
    public static final String DECISION_DISABLED = "disabled";
    public static final String DECISION_REJECTED = "rejected";
    public static final String DECISION_NOT_SIGNED = "not_signed";

    /** Target kind of a trigger that routes to an agent topic. */
    public static final String TARGET_AGENT = "agent";

    public DecisionRecord {
        signedBy = signedBy == null ? null : List.copyOf(signedBy);
        triggers = triggers == null ? List.of() : List.copyOf(triggers);
    }

    /** Where the raw record was read. */
    public record Source(String topic, int partition, long offset) {
    }

    /** The incident the event is about, as the event described it (text capped, never markup). */
    public record Incident(String id, Long number, String title, String htmlUrl, String serviceId,
            String serviceName, String urgency, String priority) {
    }

    /** The incident id, or null when the event has none. */
    public String incidentId() {
        return incident == null ? null : incident.id();
    }

    /**
     * One trigger's decision.
     *
     * @param decision   one of the {@code DECISION_*} codes
     * @param field      the rejecting filter, for {@code rejected}
     * @param targetKind {@code agent}, {@code flow} or {@code fleet}, for routed and duplicate
     * @param targetName the target's name (the {@code {agent}} of its topic), for routed and duplicate
     * @param topic      the request topic, for {@code routed}
     * @param requestId  the request id, for {@code routed}
     * @param decidedBy  the Trigger field that chose the target ({@code spec.agent},
     *                   {@code spec.commands.<event type>}, {@code spec.default_agent}), for routed and
     *                   duplicate; JSON {@code decided_by}
     */
    public record TriggerDecision(String trigger, String decision, String field, String reason, String targetKind,
            String targetName, String topic, String requestId, String decidedBy) {
        public TriggerDecision {
            Objects.requireNonNull(trigger, "trigger");
            Objects.requireNonNull(decision, "decision");
        }

        /** A decision without a deciding field (not routed, or written before {@code decided_by} existed). */
        public TriggerDecision(String trigger, String decision, String field, String reason, String targetKind,
                String targetName, String topic, String requestId) {
            this(trigger, decision, field, reason, targetKind, targetName, topic, requestId, null);
        }

        public boolean routed() {
            return DECISION_ROUTED.equals(decision);
        }
    }

    /**
     * The record value as UTF-8 JSON.
     *
     * @param md       the event's metadata, or null when the record could not be parsed
     * @param signedBy fingerprints of the secrets that signed the delivery (not secrets), or null
     *                 when unknown
     */
    public static byte[] toJson(EventMetadata md, String webhookId, String receivedAt, Instant decidedAt,
            Source source, String outcome, String deadLetterReason, String deadLetterDetail,
            Collection<String> signedBy, List<TriggerDecision> triggers) {
        Objects.requireNonNull(outcome, "outcome");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try (JsonGenerator g = Json.mapper().getFactory().createGenerator(bytes)) {
            g.writeStartObject();
            g.writeNumberField("schema_version", SCHEMA_VERSION);
            text(g, "event_id", md == null ? null : md.eventId());
            text(g, "event_type", md == null ? null : md.eventType());
            text(g, "occurred_at", md == null ? null : md.occurredAt());
            if (md != null && md.incidentId() != null) {
                g.writeObjectFieldStart("incident");
                text(g, "id", md.incidentId());
                if (md.incidentNumber() != null) {
                    g.writeNumberField("number", md.incidentNumber());
                }
                text(g, "title", md.title());
                text(g, "html_url", md.htmlUrl());
                text(g, "service_id", md.serviceId());
                text(g, "service_name", md.serviceName());
                text(g, "urgency", md.urgency());
                text(g, "priority", md.priority());
                g.writeEndObject();
            } else {
                g.writeNullField("incident");
            }
            text(g, "webhook_id", webhookId);
            text(g, "received_at", receivedAt);
            text(g, "decided_at", decidedAt == null ? null : decidedAt.toString());
            if (source != null) {
                g.writeObjectFieldStart("source");
                text(g, "topic", source.topic());
                g.writeNumberField("partition", source.partition());
                g.writeNumberField("offset", source.offset());
                g.writeEndObject();
            }
            g.writeStringField("outcome", outcome);
            if (signedBy != null) {
                g.writeArrayFieldStart("signed_by");
                for (String fp : signedBy) {
                    g.writeString(cap(fp));
                }
                g.writeEndArray();
            }
            if (deadLetterReason != null) {
                g.writeObjectFieldStart("dead_letter");
                text(g, "reason", deadLetterReason);
                text(g, "detail", deadLetterDetail);
                g.writeEndObject();
            }
            g.writeArrayFieldStart("triggers");
            for (TriggerDecision t : triggers == null ? List.<TriggerDecision>of() : triggers) {
                g.writeStartObject();
                text(g, "trigger", t.trigger());
                g.writeStringField("decision", t.decision());
                if (t.field() != null) {
                    text(g, "field", t.field());
                }
                text(g, "reason", t.reason());
                if (t.targetName() != null) {
                    g.writeObjectFieldStart("target");
                    text(g, "kind", t.targetKind() == null ? TARGET_AGENT : t.targetKind());
                    text(g, "name", t.targetName());
                    g.writeEndObject();
                }
                if (t.decidedBy() != null) {
                    text(g, "decided_by", t.decidedBy());
                }
                if (t.topic() != null) {
                    text(g, "topic", t.topic());
                }
                if (t.requestId() != null) {
                    text(g, "request_id", t.requestId());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a decision record", e); // in-memory: a bug
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a record value.
     *
     * @throws IllegalArgumentException when it is not a decision record
     */
    public static DecisionRecord parse(byte[] value) {
        JsonNode json;
        try {
            json = value == null ? null : Json.mapper().readTree(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (json == null || !json.isObject() || !json.path("outcome").isTextual()) {
            throw new IllegalArgumentException("not a decision record (no outcome)");
        }
        JsonNode src = json.path("source");
        Source source = src.isObject() ? new Source(str(src, "topic"), src.path("partition").asInt(-1),
                src.path("offset").asLong(-1)) : null;
        List<TriggerDecision> triggers = new ArrayList<>();
        for (JsonNode t : json.path("triggers")) {
            if (!t.path("trigger").isTextual() || !t.path("decision").isTextual()) {
                continue;
            }
            JsonNode target = t.path("target");
            triggers.add(new TriggerDecision(str(t, "trigger"), str(t, "decision").toLowerCase(Locale.ROOT),
                    str(t, "field"), str(t, "reason"), str(target, "kind"), str(target, "name"), str(t, "topic"),
                    str(t, "request_id"), str(t, "decided_by")));
        }
        JsonNode dl = json.path("dead_letter");
        List<String> signedBy = null;
        if (json.path("signed_by").isArray()) {
            signedBy = new ArrayList<>();
            for (JsonNode fp : json.path("signed_by")) {
                signedBy.add(fp.asText());
            }
        }
        JsonNode inc = json.path("incident");
        Incident incident = inc.isObject() ? new Incident(str(inc, "id"),
                inc.path("number").canConvertToLong() ? inc.path("number").asLong() : null, str(inc, "title"),
                str(inc, "html_url"), str(inc, "service_id"), str(inc, "service_name"), str(inc, "urgency"),
                str(inc, "priority")) : null;
        return new DecisionRecord(str(json, "event_id"), str(json, "event_type"), str(json, "occurred_at"),
                incident, str(json, "webhook_id"), str(json, "received_at"),
                str(json, "decided_at"), source, str(json, "outcome"), str(dl, "reason"), str(dl, "detail"),
                signedBy, triggers);
    }

    private static String str(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() || v.isMissingNode() ? null : v.asText();
    }

    private static void text(JsonGenerator g, String field, String value) throws IOException {
        if (value == null) {
            g.writeNullField(field);
        } else {
            g.writeStringField(field, cap(value));
        }
    }

    /** At most {@link #MAX_TEXT} characters, not splitting a surrogate pair. */
    static String cap(String s) {
        if (s.length() <= MAX_TEXT) {
            return s;
        }
        int end = MAX_TEXT;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }
}
