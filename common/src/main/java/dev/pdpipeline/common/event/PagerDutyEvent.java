package dev.pdpipeline.common.event;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One parsed PagerDuty V3 webhook delivery ({@code {"event": {...}}}).
 *
 * <p>Validation is deliberately minimal (a JSON object with an {@code event} object that has a
 * non-blank {@code id} and {@code event_type}): PagerDuty adds fields and event types over time,
 * and an event we do not fully understand must still reach triggers that ask for it. Everything
 * else is tolerated, including nulls and unknown fields.
 *
 * <p>The JSON tree is shared, not copied: callers must not modify {@link #root()}.
 */
public final class PagerDutyEvent {

    /** The event type of PagerDuty's "send test event" button. */
    public static final String PING_EVENT_TYPE = "pagey.ping";

    /** Rejects trailing content: {@code {...} garbage} is not one JSON document. */
    private static final ObjectReader READER =
            Json.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final JsonNode root;
    private final JsonNode event;
    private final EventMetadata metadata;

    private PagerDutyEvent(JsonNode root, JsonNode event) {
        this.root = root;
        this.event = event;
        this.metadata = EventMetadata.from(event);
    }

    /**
     * Parses and validates a raw delivery body with {@link Json#mapper()} (its read constraints
     * apply).
     *
     * @throws InvalidEventException with reason {@code not_json}, {@code duplicate_key},
     *         {@code too_large}, {@code not_an_object}, {@code missing_event},
     *         {@code missing_event_id} or {@code missing_event_type}
     */
    public static PagerDutyEvent parse(byte[] body) throws InvalidEventException {
        Objects.requireNonNull(body, "body");
        if (body.length == 0) {
            throw new InvalidEventException(InvalidEventException.NOT_JSON, "body is empty");
        }
        JsonNode root;
        try {
            root = READER.readTree(body);
        } catch (StreamConstraintsException e) {
            // Jackson's constraint messages name the limit and the size, never the content.
            throw new InvalidEventException(InvalidEventException.TOO_LARGE,
                    "body exceeds a JSON read limit: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            // The original message may quote body content: report only where it broke.
            String message = e.getOriginalMessage();
            if (message != null && message.startsWith("Duplicate field")) {
                throw new InvalidEventException(InvalidEventException.DUPLICATE_KEY,
                        "body has a duplicate object key" + at(e.getLocation()));
            }
            throw new InvalidEventException(InvalidEventException.NOT_JSON,
                    "body is not valid JSON" + at(e.getLocation()));
        } catch (IOException e) {
            throw new InvalidEventException(InvalidEventException.NOT_JSON,
                    "body could not be read as JSON (" + e.getClass().getSimpleName() + ")");
        }
        if (root == null || root.isMissingNode()) {
            throw new InvalidEventException(InvalidEventException.NOT_JSON, "body holds no JSON value");
        }
        return of(root);
    }

    /**
     * Validates an already parsed delivery root.
     *
     * @throws InvalidEventException as {@link #parse(byte[])}, minus the parse errors
     */
    public static PagerDutyEvent of(JsonNode root) throws InvalidEventException {
        Objects.requireNonNull(root, "root");
        if (!root.isObject()) {
            throw new InvalidEventException(InvalidEventException.NOT_AN_OBJECT,
                    "JSON root is " + root.getNodeType().name().toLowerCase(Locale.ROOT)
                            + ", expected an object");
        }
        JsonNode event = root.get("event");
        if (event == null || !event.isObject()) {
            throw new InvalidEventException(InvalidEventException.MISSING_EVENT,
                    event == null ? "no \"event\" field" : "\"event\" is not an object");
        }
        if (!nonBlankText(event.get("id"))) {
            throw new InvalidEventException(InvalidEventException.MISSING_EVENT_ID,
                    "event.id is absent, not a string or blank");
        }
        if (!nonBlankText(event.get("event_type"))) {
            throw new InvalidEventException(InvalidEventException.MISSING_EVENT_TYPE,
                    "event.event_type is absent, not a string or blank");
        }
        return new PagerDutyEvent(root, event);
    }

    /** The whole delivery. Do not modify. */
    public JsonNode root() {
        return root;
    }

    /** {@code root.event}. Do not modify. */
    public JsonNode event() {
        return event;
    }

    public EventMetadata metadata() {
        return metadata;
    }

    /** The "send test event" delivery: carries no incident and no service. */
    public boolean isPing() {
        return PING_EVENT_TYPE.equals(metadata.eventType());
    }

    /** The Kafka record key: incident id, else resource id; see {@link IncidentLocator#partitionKey}. */
    public Optional<String> partitionKey() {
        return IncidentLocator.partitionKey(root);
    }

    @Override
    public String toString() {
        return "PagerDutyEvent[id=" + metadata.eventId() + ", type=" + metadata.eventType() + "]";
    }

    private static boolean nonBlankText(JsonNode node) {
        return node != null && node.isTextual() && !node.asText().isBlank();
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 0) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }
}
