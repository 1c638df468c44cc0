package dev.pdpipeline.common.event;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Reads a delivery in one streaming pass into a small tree that holds only the members
 * {@link EventMetadata#from}, {@link IncidentLocator} and {@link PagerDutyEvent}'s validation read,
 * and notes where the {@code event} object's bytes are, so the envelope can carry them unchanged.
 *
 * <p>Every other member is skipped: the tokenizer still checks the syntax, nesting and number
 * limits and detects duplicate keys, and strings are still decoded ({@link #skipDecoding}, no
 * {@code String} made) unless the body is pure ASCII, so a body is accepted or rejected exactly as
 * by a full tree parse. A member the readers expect to be a scalar but that is a container keeps its
 * kind (an empty object or array), so "not a string" stays "not a string". Scalars become the
 * same node types as {@code ObjectMapper.readTree} makes, so {@code asText()} prints the same.
 */
final class EventProjection {

    /** Which members of an object to keep, and for arrays the shape of their elements. */
    private record Shape(Map<String, Shape> fields, Shape element) {
        static Shape object(Map<String, Shape> fields) {
            return new Shape(fields, null);
        }

        static Shape array(Shape element) {
            return new Shape(null, element);
        }
    }

    /** A scalar member: kept as it is, a container in its place becomes an empty one. */
    private static final Shape LEAF = new Shape(null, null);

    private static final Shape REFERENCE = Shape.object(Map.of("id", LEAF, "html_url", LEAF, "summary", LEAF));
    private static final Shape NAMED = Shape.object(Map.of("id", LEAF, "summary", LEAF, "name", LEAF));

    private static final Shape DATA = Shape.object(Map.ofEntries(
            Map.entry("type", LEAF), Map.entry("id", LEAF), Map.entry("number", LEAF),
            Map.entry("incident_key", LEAF), Map.entry("status", LEAF), Map.entry("urgency", LEAF),
            Map.entry("title", LEAF), Map.entry("summary", LEAF), Map.entry("html_url", LEAF),
            Map.entry("name", LEAF),
            Map.entry("priority", Shape.object(Map.of("summary", LEAF, "name", LEAF))),
            Map.entry("service", Shape.object(Map.of("id", LEAF, "summary", LEAF, "name", LEAF, "html_url", LEAF))),
            Map.entry("teams", Shape.array(NAMED)),
            Map.entry("assignees", Shape.array(Shape.object(Map.of("id", LEAF)))),
            Map.entry("incident", REFERENCE),
            Map.entry("incident_role_assignments", Shape.array(Shape.object(Map.of("incident", REFERENCE))))));

    private static final Shape EVENT = Shape.object(Map.of(
            "id", LEAF, "event_type", LEAF, "resource_type", LEAF, "occurred_at", LEAF,
            "agent", Shape.object(Map.of("id", LEAF, "type", LEAF, "summary", LEAF)),
            "data", DATA));

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * What one pass found.
     *
     * @param root       the projected root, or null when the body holds no JSON value
     * @param eventStart byte offset of the {@code event} object's {@code '{'}, or -1
     * @param eventEnd   byte offset just after its {@code '}'}, or -1
     */
    record Result(JsonNode root, int eventStart, int eventEnd) {
    }

    private EventProjection() {
    }

    /**
     * @param parser a parser positioned before the first token; read to its end
     * @throws IOException as {@code ObjectReader.readTree} with FAIL_ON_TRAILING_TOKENS would
     */
    static Result read(JsonParser parser) throws IOException {
        return read(parser, true);
    }

    /**
     * @param decodeSkipped whether skipped strings are decoded to check their UTF-8; false is only
     *                      right for pure-ASCII bodies ({@link #isAscii}), where there is no
     *                      multi-byte sequence for Jackson's skip and its decoder to disagree on
     */
    static Result read(JsonParser parser, boolean decodeSkipped) throws IOException {
        Skipper skipper = decodeSkipped ? EventProjection::skipDecoding : JsonParser::skipChildren;
        JsonToken first = parser.nextToken();
        if (first == null) {
            return new Result(null, -1, -1);
        }
        int start = -1;
        int end = -1;
        JsonNode root;
        if (first == JsonToken.START_OBJECT) {
            ObjectNode object = NODES.objectNode();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (!"event".equals(name)) {
                    skipper.skip(parser);
                    continue;
                }
                long from = value == JsonToken.START_OBJECT ? parser.currentTokenLocation().getByteOffset() : -1;
                object.set(name, value(parser, EVENT, skipper));
                long to = from < 0 ? -1 : parser.currentLocation().getByteOffset();
                if (from >= 0 && to > from && to <= Integer.MAX_VALUE) {
                    start = (int) from;
                    end = (int) to;
                }
            }
            root = object;
        } else {
            root = value(parser, null, skipper);
        }
        JsonToken trailing = parser.nextToken();
        if (trailing != null) {
            throw new TrailingContentException(parser);
        }
        return new Result(root, start, end);
    }

    /** The current value as a node of {@code shape}; null shape: only its kind. */
    private static JsonNode value(JsonParser parser, Shape shape, Skipper skipper) throws IOException {
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT: {
                ObjectNode object = NODES.objectNode();
                if (shape == null || shape.fields() == null) {
                    skipper.skip(parser);
                    return object;
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    parser.nextToken();
                    Shape member = shape.fields().get(name);
                    if (member == null) {
                        skipper.skip(parser);
                    } else {
                        object.set(name, value(parser, member, skipper));
                    }
                }
                return object;
            }
            case START_ARRAY: {
                ArrayNode array = NODES.arrayNode();
                if (shape == null || shape.element() == null) {
                    skipper.skip(parser);
                    return array;
                }
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    array.add(value(parser, shape.element(), skipper));
                }
                return array;
            }
            case VALUE_STRING:
                return NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT:
                switch (parser.getNumberType()) {
                    case INT:
                        return NODES.numberNode(parser.getIntValue());
                    case LONG:
                        return NODES.numberNode(parser.getLongValue());
                    default:
                        return NODES.numberNode(parser.getBigIntegerValue());
                }
            case VALUE_NUMBER_FLOAT:
                return NODES.numberNode(parser.getDoubleValue());
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                // VALUE_EMBEDDED_OBJECT cannot come from JSON text
                throw new IllegalStateException("unexpected token " + token);
        }
    }

    /**
     * Skips the current value like {@code skipChildren}, but decodes every string it passes (into
     * the parser's buffer, no {@code String}): Jackson's skip checks less of a string's UTF-8 than
     * its decoder does, and the whole-tree parse decodes every string, so this rejects the same
     * bodies. Names, numbers and nesting are checked by the tokenizer in both.
     */
    private static void skipDecoding(JsonParser parser) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.VALUE_STRING) {
            parser.getTextLength();
            return;
        }
        if (token != JsonToken.START_OBJECT && token != JsonToken.START_ARRAY) {
            return;
        }
        int depth = 1;
        while (depth > 0) {
            token = parser.nextToken();
            if (token == null) {
                return; // cannot happen: the parser fails on a truncated document first
            }
            switch (token) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> depth--;
                case VALUE_STRING -> parser.getTextLength();
                default -> {
                }
            }
        }
    }

    /** How a member nobody reads is passed over. */
    @FunctionalInterface
    private interface Skipper {
        void skip(JsonParser parser) throws IOException;
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    /** Whether every byte is below 0x80, eight at a time. */
    static boolean isAscii(byte[] bytes) {
        int i = 0;
        for (int end = bytes.length - Long.BYTES; i <= end; i += Long.BYTES) {
            if (((long) LONGS.get(bytes, i) & HIGH_BITS) != 0) {
                return false;
            }
        }
        for (; i < bytes.length; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** Content after the root value, as {@code FAIL_ON_TRAILING_TOKENS} reports it. */
    static final class TrailingContentException extends com.fasterxml.jackson.core.JsonParseException {
        private static final long serialVersionUID = 1L;

        TrailingContentException(JsonParser parser) {
            super(parser, "Trailing token after the root value", parser.currentTokenLocation());
        }
    }
}
