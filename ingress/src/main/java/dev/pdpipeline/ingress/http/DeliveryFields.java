package dev.pdpipeline.ingress.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.filter.FilteringParserDelegate;
import com.fasterxml.jackson.core.filter.TokenFilter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.event.IncidentLocator;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;

/**
 * What the ingress needs from a delivery body: the partition key, the event id and whether it is a
 * ping, read without building the whole tree.
 *
 * <p>The whole value is still tokenised (so a syntax error or a duplicate key anywhere is found,
 * as with a full parse; skipped strings are not decoded), but only the members {@link IncidentLocator#partitionKey} and the log
 * line look at become nodes: {@code event.id}, {@code event.event_type}, {@code event.data.type},
 * {@code event.data.id}, and the {@code id} of {@code data.incident}, {@code data.service} and
 * {@code data.incident_role_assignments[].incident}. Everything else is skipped by the parser.
 * Building the full tree of a 2-8 KB event was about a sixth of the ingress's CPU per request.
 * The key then comes from {@link IncidentLocator} itself, so the rule stays in one place.
 *
 * @param key      the record key, or null when the event carries no incident or resource id
 * @param incident the incident id, or null when the event is not about an incident
 * @param eventId  {@code event.id}, or null when absent or not a string
 * @param ping     whether {@code event.event_type} is {@code pagey.ping}
 */
record DeliveryFields(String key, String incident, String eventId, boolean ping) {

    /** A body that is not JSON: nothing known. */
    static final DeliveryFields NONE = new DeliveryFields(null, null, null, false);

    /** The parts of a delivery that {@link IncidentLocator} and the log line read. */
    static JsonNode skeleton(byte[] body) throws IOException {
        try (JsonParser parser = new FilteringParserDelegate(Json.mapper().createParser(body), Path.ROOT,
                TokenFilter.Inclusion.INCLUDE_ALL_AND_PATH, true)) {
            // the root's closing token comes only once the parser reached it: the whole value is read
            return Json.mapper().readTree(parser);
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

    /** One level of the kept paths; {@code null} from {@link #includeProperty} skips a member. */
    private static final class Path extends TokenFilter {
        static final Path ID = new Path("id");
        static final Path ASSIGNMENT = new Path("assignment");
        static final Path ASSIGNMENTS = new Path("assignments");
        static final Path DATA = new Path("data");
        static final Path EVENT = new Path("event");
        static final Path ROOT = new Path("root");

        private final String level;

        private Path(String level) {
            this.level = level;
        }

        @Override
        public TokenFilter includeProperty(String name) {
            return switch (level) {
                case "root" -> "event".equals(name) ? EVENT : null;
                case "event" -> switch (name) {
                    case "id", "event_type" -> TokenFilter.INCLUDE_ALL;
                    case "data" -> DATA;
                    default -> null;
                };
                case "data" -> switch (name) {
                    case "id", "type" -> TokenFilter.INCLUDE_ALL;
                    case "incident", "service" -> ID;
                    case "incident_role_assignments" -> ASSIGNMENTS;
                    default -> null;
                };
                case "assignment" -> "incident".equals(name) ? ID : null;
                case "id" -> "id".equals(name) ? TokenFilter.INCLUDE_ALL : null;
                default -> null;
            };
        }

        @Override
        public TokenFilter includeElement(int index) {
            // only the assignments' elements are looked into; in any other array the shape is all that matters
            return "assignments".equals(level) ? ASSIGNMENT : null;
        }

        @Override
        public String toString() {
            return "DeliveryFields.Path[" + level + "]";
        }
    }
}
