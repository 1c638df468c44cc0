package dev.pdpipeline.processor.envelope;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The JSON request an agent receives on its topic: version 1 of the contract in
 * docs/agent-contract.md. Field names and meanings there are a public promise; add fields
 * freely, but renaming or removing one needs a new {@link #SCHEMA_VERSION}.
 */
public final class AgentRequestEnvelope {

    /** Version of the envelope layout. */
    public static final int SCHEMA_VERSION = 1;
    /** Hex characters of {@link #requestId}: 128 bits. */
    static final int REQUEST_ID_LENGTH = 32;
    /** Envelope bytes besides the event: metadata, ids, times (first guess of the buffer size). */
    private static final int ENVELOPE_OVERHEAD_BYTES = 1536;

    private AgentRequestEnvelope() {
    }

    /**
     * The id of the request a trigger makes for an event: lowercase hex of
     * SHA-256(event id + "\n" + trigger name), first 32 characters. Stable, so that a replay or a
     * reprocessing produces the same id and agents can deduplicate on it.
     */
    public static String requestId(String eventId, String triggerName) {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(triggerName, "triggerName");
        byte[] digest = SHA_256.get().digest((eventId + "\n" + triggerName).getBytes(StandardCharsets.UTF_8));
        return HEX.formatHex(digest, 0, REQUEST_ID_LENGTH / 2);
    }

    /** One digest per thread: {@code MessageDigest.getInstance} looks the provider up on every call. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e); // mandatory on every Java platform
        }
    });
    private static final HexFormat HEX = HexFormat.of();

    /**
     * The id of a replayed request: like {@link #requestId} with the replay id mixed in, so a
     * replay never overwrites the request log entry of the live request (whose late result must
     * still be written back) and agents see a replay as the new request it is.
     */
    public static String replayRequestId(String eventId, String triggerName, String replayId) {
        Objects.requireNonNull(replayId, "replayId");
        return requestId(eventId, triggerName + "\n" + replayId);
    }

    /**
     * Builds the envelope. Never includes the trigger's webhook secret or API token. The
     * {@code event} member shares the parsed event's tree: serialise the envelope, do not modify it.
     *
     * @param webhookId  PagerDuty's X-Webhook-Id of the delivery, or null when unknown
     * @param receivedAt when the ingress received the delivery (ISO-8601), or null when unknown
     * @param routedAt   when the processor routed it
     * @param replay     whether a replay run produced it
     */
    public static ObjectNode build(Trigger trigger, PagerDutyEvent event, String webhookId, String receivedAt,
            Instant routedAt, boolean replay) {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(event, "event");
        return build(trigger, event, webhookId, receivedAt, routedAt, replay,
                requestId(event.metadata().eventId(), trigger.name()));
    }

    /**
     * {@link #build(Trigger, PagerDutyEvent, String, String, Instant, boolean)} with a given request id;
     * the target is the trigger's for the event type (its agent for aof.sh/v1 triggers).
     */
    public static ObjectNode build(Trigger trigger, PagerDutyEvent event, String webhookId, String receivedAt,
            Instant routedAt, boolean replay, String requestId) {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(event, "event");
        Target target = trigger.targetFor(event.metadata().eventType()).orElse(Target.agent(trigger.agent()));
        return build(trigger, target, event, webhookId, receivedAt, routedAt, replay, requestId);
    }

    /**
     * The envelope for the target the routing decision chose: {@code agent} is the target's name
     * (the {@code {agent}} of this topic) and {@code target} says whether it is an agent, flow or fleet.
     * As a tree of {@link #write}'s bytes, so there is one layout.
     */
    public static ObjectNode build(Trigger trigger, Target target, PagerDutyEvent event, String webhookId,
            String receivedAt, Instant routedAt, boolean replay, String requestId) {
        byte[] bytes = write(trigger, target, event, webhookId, receivedAt, routedAt, replay, requestId);
        try {
            return (ObjectNode) Json.mapper().readTree(bytes);
        } catch (IOException e) {
            throw new IllegalStateException("the agent request envelope does not parse back", e); // a bug
        }
    }

    /**
     * The envelope as UTF-8 JSON, written field by field: {@code metadata} from the parsed
     * metadata, {@code event} as the delivery's original bytes ({@link PagerDutyEvent#writeEvent}),
     * so routing builds no tree and re-encodes nothing of the event. Never includes the trigger's
     * webhook secret or API token. Field order is the contract's (docs/agent-contract.md).
     */
    public static byte[] write(Trigger trigger, Target target, PagerDutyEvent event, String webhookId,
            String receivedAt, Instant routedAt, boolean replay, String requestId) {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(routedAt, "routedAt");
        Objects.requireNonNull(requestId, "requestId");
        EventMetadata md = event.metadata();
        ByteArrayBuilder bytes = new ByteArrayBuilder(ENVELOPE_OVERHEAD_BYTES + event.rawEventLength());
        try (JsonGenerator g = Json.mapper().getFactory().createGenerator(bytes)) {
            g.writeStartObject();
            g.writeNumberField("schema_version", SCHEMA_VERSION);
            g.writeStringField("request_id", requestId);
            g.writeStringField("trigger", trigger.name());
            g.writeStringField("agent", target.name());
            g.writeObjectFieldStart("target");
            g.writeStringField("kind", target.kind().wireName());
            g.writeStringField("name", target.name());
            g.writeEndObject();
            text(g, "bot_name", trigger.botName());
            g.writeFieldName("parameters");
            g.writeTree(trigger.parameters());
            g.writeFieldName("metadata");
            md.writeJson(g);
            text(g, "text", md.title());
            g.writeFieldName("event");
            event.writeEvent(g);
            g.writeBooleanField("replay", replay);
            text(g, "webhook_id", webhookId);
            text(g, "received_at", receivedAt);
            g.writeStringField("routed_at", routedAt.toString());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the agent request envelope", e); // in memory: a bug
        }
        return bytes.toByteArray();
    }

    private static void text(JsonGenerator g, String name, String value) throws IOException {
        if (value == null) {
            g.writeNullField(name);
        } else {
            g.writeStringField(name, value);
        }
    }

    /** {@link #build} as UTF-8 JSON bytes. */
    public static byte[] toBytes(ObjectNode envelope) {
        try {
            return Json.mapper().writeValueAsBytes(envelope);
        } catch (JsonProcessingException e) {
            // A tree of plain nodes always serialises; anything else is a bug.
            throw new IllegalStateException("cannot serialise the agent request envelope", e);
        }
    }
}
