package dev.pdpipeline.ingress.http;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.event.IncidentLocator;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;

/**
 * What the ingress needs from a delivery body: the partition key, the event id and whether it is a
 * ping, read in one streaming pass without building the tree.
 *
 * <p>The whole value is still tokenised, so a body that is not JSON (a syntax error anywhere,
 * content after the value) is published without a key. Duplicate keys are not looked for: the
 * ingress refuses nothing for its content (an authenticated body is always published), the key
 * is only where it goes, and the processor's full check dead-letters such a body whatever its
 * key. Only the members {@link IncidentLocator#partitionKey} and the log line look at become
 * nodes: {@code event.id}, {@code event.event_type}, {@code event.data.type}, {@code event.data.id},
 * and the {@code id} of {@code data.incident}, {@code data.service} and
 * {@code data.incident_role_assignments[].incident}; everything else is skipped without decoding
 * its strings. Building the full tree of a 2-8 KB event was about a sixth of the ingress's CPU per
 * request, and a filtering parser with duplicate detection still a tenth. The key then comes from
 * {@link IncidentLocator} itself, so the rule stays in one place.
 *
 * @param key      the record key, or null when the event carries no incident or resource id
 * @param incident the incident id, or null when the event is not about an incident
 * @param eventId  {@code event.id}, or null when absent or not a string
 * @param ping     whether {@code event.event_type} is {@code pagey.ping}
 */
record DeliveryFields(String key, String incident, String eventId, boolean ping) {

    /** A body that is not JSON: nothing known. */
    static final DeliveryFields NONE = new DeliveryFields(null, null, null, false);

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The parts of a delivery that {@link IncidentLocator} and the log line read; null for an empty body. */
    static JsonNode skeleton(byte[] body) throws IOException {
        try (JsonParser parser = Json.mapper().createParser(body)) {
            // the ingress refuses nothing for its content: no duplicate detection (see the class comment)
            parser.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            if (parser.nextToken() == null) {
                return null;
            }
            JsonNode root = value(parser, Level.ROOT);
            if (parser.nextToken() != null) {
                throw new JsonParseException(parser, "content after the JSON value");
            }
            return root;
        }
    }

    /** Reads the fields; throws when the body is not well-formed JSON. */
    static DeliveryFields read(byte[] body) throws IOException {
        JsonNode root = skeleton(body);
        String key = IncidentLocator.partitionKey(root).orElse(null);
        JsonNode event = root == null ? null : root.get("event");
        String incident = IncidentLocator.incidentId(event).orElse(null);
        String eventId = null;
        boolean ping = false;
        if (event != null && event.isObject()) {
            JsonNode id = event.get("id");
            eventId = id != null && id.isTextual() ? id.asText() : null;
            JsonNode type = event.get("event_type");
            ping = type != null && "pagey.ping".equals(type.asText(null));
        }
        return new DeliveryFields(key, incident, eventId, ping);
    }

    /**
     * The current value at {@code level}, the parser left on its last token. A string at a
     * {@link Level#LEAF} becomes a text node; any other value there a node of its kind that is not
     * text (so "not a string" stays "not a string"); elsewhere only objects (and the assignments
     * array) are looked into, and other values are skipped.
     */
    private static JsonNode value(JsonParser parser, Level level) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT && level != Level.LEAF) {
            ObjectNode object = NODES.objectNode();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                Level child = level.member(parser.currentName());
                parser.nextToken();
                if (child == null) {
                    parser.skipChildren();
                } else {
                    String name = parser.currentName();
                    JsonNode member = value(parser, child);
                    if (member != null) {
                        object.set(name, member);
                    }
                }
            }
            return object;
        }
        if (token == JsonToken.START_ARRAY && level == Level.ASSIGNMENTS) {
            ArrayNode array = NODES.arrayNode();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                JsonNode element = value(parser, Level.ASSIGNMENT);
                array.add(element == null ? NullNode.getInstance() : element);
            }
            return array;
        }
        parser.skipChildren();
        if (level != Level.LEAF) {
            return null;
        }
        return switch (token) {
            case VALUE_STRING -> NODES.textNode(parser.getText());
            case START_OBJECT -> NODES.objectNode();
            case START_ARRAY -> NODES.arrayNode();
            default -> NullNode.getInstance();
        };
    }

    /** Where a value sits among the kept paths; {@code null} from {@link #member} skips a member. */
    private enum Level {
        ROOT, EVENT, DATA, ID, ASSIGNMENTS, ASSIGNMENT, LEAF;

        Level member(String name) {
            return switch (this) {
                case ROOT -> "event".equals(name) ? EVENT : null;
                case EVENT -> switch (name) {
                    case "id", "event_type" -> LEAF;
                    case "data" -> DATA;
                    default -> null;
                };
                case DATA -> switch (name) {
                    case "id", "type" -> LEAF;
                    case "incident", "service" -> ID;
                    case "incident_role_assignments" -> ASSIGNMENTS;
                    default -> null;
                };
                case ASSIGNMENT -> "incident".equals(name) ? ID : null;
                case ID -> "id".equals(name) ? LEAF : null;
                default -> null;
            };
        }
    }
}
