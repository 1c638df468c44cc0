package dev.pdpipeline.common.event;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.UTF8JsonGenerator;
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
 * <p>{@link #parse} reads the body in one streaming pass ({@link EventProjection}): the metadata
 * the decision needs and the position of the {@code event} bytes, which {@link #writeEvent} copies
 * into an envelope unchanged. The full tree is only built if {@link #root()} is asked for; it is
 * shared, not copied: callers must not modify it.
 */
public final class PagerDutyEvent {

    /** The event type of PagerDuty's "send test event" button. */
    public static final String PING_EVENT_TYPE = "pagey.ping";

    /** Rejects trailing content: {@code {...} garbage} is not one JSON document. */
    private static final ObjectReader READER =
            Json.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Bodies up to this size take the one-pass path: no string in them can break
     * {@link Json#MAX_STRING_LENGTH}, which Jackson only checks on strings it materialises.
     */
    private static final int ONE_PASS_MAX_BYTES = Json.MAX_STRING_LENGTH;

    /** The body, when parsed from bytes; null when built from a tree. */
    private final byte[] body;
    /** Where {@code event}'s bytes are in {@link #body}; -1 when unknown. */
    private final int eventStart;
    private final int eventEnd;
    /** The members the decision reads (the whole tree when built from one). */
    private final JsonNode projected;
    private final EventMetadata metadata;
    /** The whole tree, parsed on first use of {@link #root()}. */
    private volatile JsonNode root;

    private PagerDutyEvent(JsonNode root, JsonNode projected, byte[] body, int eventStart, int eventEnd) {
        this.root = root;
        this.projected = projected;
        this.body = body;
        this.eventStart = eventStart;
        this.eventEnd = eventEnd;
        this.metadata = EventMetadata.from(projected.get("event"));
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
        if (body.length > ONE_PASS_MAX_BYTES) {
            return parseWholeTree(body);
        }
        EventProjection.Result read;
        try (JsonParser parser = Json.mapper().getFactory().createParser(body)) {
            read = EventProjection.read(parser, !EventProjection.isAscii(body));
        } catch (IOException e) {
            throw invalid(e);
        }
        if (read.root() == null) {
            throw new InvalidEventException(InvalidEventException.NOT_JSON, "body holds no JSON value");
        }
        validate(read.root());
        boolean slice = read.eventStart() >= 0 && body[read.eventStart()] == '{' && body[read.eventEnd() - 1] == '}';
        return new PagerDutyEvent(null, read.root(), body, slice ? read.eventStart() : -1, slice ? read.eventEnd() : -1);
    }

    /**
     * {@link #parse} through the whole tree: for bodies too big for the one-pass path, and the
     * reference the one-pass path is tested against.
     */
    static PagerDutyEvent parseWholeTree(byte[] body) throws InvalidEventException {
        if (body.length == 0) {
            throw new InvalidEventException(InvalidEventException.NOT_JSON, "body is empty");
        }
        JsonNode root = readTree(body);
        validate(root);
        return new PagerDutyEvent(root, root, null, -1, -1);
    }

    /** The whole tree of a body, with the same errors as {@link #parse}. */
    private static JsonNode readTree(byte[] body) throws InvalidEventException {
        JsonNode root;
        try {
            root = READER.readTree(body);
        } catch (IOException e) {
            throw invalid(e);
        }
        if (root == null || root.isMissingNode()) {
            throw new InvalidEventException(InvalidEventException.NOT_JSON, "body holds no JSON value");
        }
        return root;
    }

    /** The reason of a failed read; never quotes the body. */
    private static InvalidEventException invalid(IOException failure) {
        try {
            throw failure;
        } catch (StreamConstraintsException e) {
            // Jackson's constraint messages name the limit and the size, never the content.
            return new InvalidEventException(InvalidEventException.TOO_LARGE,
                    "body exceeds a JSON read limit: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            // The original message may quote body content: report only where it broke.
            String message = e.getOriginalMessage();
            if (message != null && message.startsWith("Duplicate field")) {
                return new InvalidEventException(InvalidEventException.DUPLICATE_KEY,
                        "body has a duplicate object key" + at(e.getLocation()));
            }
            return new InvalidEventException(InvalidEventException.NOT_JSON,
                    "body is not valid JSON" + at(e.getLocation()));
        } catch (IOException e) {
            return new InvalidEventException(InvalidEventException.NOT_JSON,
                    "body could not be read as JSON (" + e.getClass().getSimpleName() + ")");
        }
    }

    /**
     * Validates an already parsed delivery root.
     *
     * @throws InvalidEventException as {@link #parse(byte[])}, minus the parse errors
     */
    public static PagerDutyEvent of(JsonNode root) throws InvalidEventException {
        Objects.requireNonNull(root, "root");
        validate(root);
        return new PagerDutyEvent(root, root, null, -1, -1);
    }

    /** The checks of {@link #of}, on a full or a projected root (which keeps every member they read). */
    private static void validate(JsonNode root) throws InvalidEventException {
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
    }

    /**
     * The whole delivery. Do not modify. Parsed from the body on first use: routing reads only
     * {@link #metadata()} and {@link #writeEvent}, so the hot path never builds this tree.
     */
    public JsonNode root() {
        JsonNode tree = root;
        if (tree == null) {
            try {
                tree = READER.readTree(body);
            } catch (IOException e) {
                // parse() read the same bytes without error
                throw new IllegalStateException("an accepted delivery body no longer parses", e);
            }
            root = tree;
        }
        return tree;
    }

    /** {@code root.event}. Do not modify. */
    public JsonNode event() {
        return root().get("event");
    }

    /**
     * Writes the {@code event} object as the next value of {@code generator}: its original bytes
     * when this event was parsed from UTF-8 bytes and the generator writes UTF-8 JSON (no tree,
     * no re-encoding; the bytes are a value the parser accepted, so the output stays valid JSON),
     * else its tree. Both give the same JSON value.
     */
    public void writeEvent(JsonGenerator generator) throws IOException {
        Objects.requireNonNull(generator, "generator");
        if (eventStart >= 0 && generator instanceof UTF8JsonGenerator) {
            generator.writeRawValue(new RawUtf8(body, eventStart, eventEnd - eventStart));
        } else {
            generator.writeTree(event());
        }
    }

    /** Whether {@link #writeEvent} copies the original bytes into a UTF-8 generator. */
    public boolean hasRawEvent() {
        return eventStart >= 0;
    }

    /** Length of the original {@code event} bytes, 0 when unknown: a buffer size hint. */
    public int rawEventLength() {
        return eventStart < 0 ? 0 : eventEnd - eventStart;
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
        return IncidentLocator.partitionKey(projected);
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
