package dev.pdpipeline.processor.notes;

import java.util.ArrayList;
import java.util.List;

/**
 * Results on the edge of the contract, each with what the notes writer must do with it: accept
 * it ({@code reason == null}) or dead-letter it with {@code reason}. Shared by the schema
 * conformance test and its integration test through a real notes writer.
 */
final class ResultSchemaCases {

    /** One result value and the writer's expected verdict. */
    record Case(String name, String json, DeadLetterReason reason) {
        boolean valid() {
            return reason == null;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final String ID = "\"request_id\":\"0123456789abcdef0123456789abcdef\",\"incident_id\":\"Q1ABC\","
            + "\"agent\":\"diag\"";

    private ResultSchemaCases() {
    }

    static List<Case> all() {
        List<Case> c = new ArrayList<>();
        // accepted
        c.add(ok("a note", "{" + ID + ",\"note\":\"Disk full on db-1.\"}"));
        c.add(ok("a status only", "{" + ID + ",\"status\":\"acknowledged\"}"));
        c.add(ok("note and status", "{" + ID + ",\"note\":\"fixed\",\"status\":\"resolved\"}"));
        c.add(ok("every field", "{" + ID + ",\"note\":\"n\",\"status\":\"resolved\",\"from_email\":\"bot@example.com\","
                + "\"result_id\":\"run-7781\"}"));
        c.add(ok("from_email with surrounding whitespace", "{" + ID + ",\"note\":\"n\",\"from_email\":\" bot@example.com\\n\"}"));
        c.add(ok("unknown fields", "{" + ID + ",\"note\":\"n\",\"confidence\":0.9,\"links\":[\"x\"]}"));
        c.add(ok("null note beside a status", "{" + ID + ",\"note\":null,\"status\":\"resolved\"}"));
        c.add(ok("null optional fields", "{" + ID + ",\"note\":\"n\",\"from_email\":null,\"result_id\":null,\"status\":null}"));
        c.add(ok("64-character incident id", "{\"request_id\":\"r\",\"incident_id\":\"" + "A".repeat(64)
                + "\",\"agent\":\"a\",\"note\":\"n\"}"));
        c.add(ok("200-character request and result ids", "{\"request_id\":\"" + "r".repeat(200)
                + "\",\"incident_id\":\"Q1\",\"agent\":\"a\",\"note\":\"n\",\"result_id\":\"" + "x".repeat(200) + "\"}"));
        c.add(ok("a note of a no-break space (not whitespace to Java)", "{" + ID + ",\"note\":\"\\u00a0\"}"));
        c.add(ok("a note of two million characters", "{" + ID + ",\"note\":\"" + "x".repeat(2_000_000) + "\"}"));
        // invalid_json
        c.add(bad("an array", "[]", DeadLetterReason.INVALID_JSON));
        c.add(bad("a string", "\"note\"", DeadLetterReason.INVALID_JSON));
        c.add(bad("a number", "42", DeadLetterReason.INVALID_JSON));
        c.add(bad("JSON null", "null", DeadLetterReason.INVALID_JSON));
        c.add(bad("a note longer than the parser accepts", "{" + ID + ",\"note\":\"" + "x".repeat(2 * 1024 * 1024 + 1)
                + "\"}", DeadLetterReason.INVALID_JSON));
        // missing_field
        c.add(bad("no request_id", "{\"incident_id\":\"Q1\",\"agent\":\"a\",\"note\":\"n\"}", DeadLetterReason.MISSING_FIELD));
        c.add(bad("null request_id", "{\"request_id\":null,\"incident_id\":\"Q1\",\"agent\":\"a\",\"note\":\"n\"}",
                DeadLetterReason.MISSING_FIELD));
        c.add(bad("no incident_id", "{\"request_id\":\"r\",\"agent\":\"a\",\"note\":\"n\"}", DeadLetterReason.MISSING_FIELD));
        c.add(bad("no agent", "{\"request_id\":\"r\",\"incident_id\":\"Q1\",\"note\":\"n\"}", DeadLetterReason.MISSING_FIELD));
        c.add(bad("neither note nor status", "{" + ID + "}", DeadLetterReason.MISSING_FIELD));
        c.add(bad("null note and null status", "{" + ID + ",\"note\":null,\"status\":null}", DeadLetterReason.MISSING_FIELD));
        // invalid_field
        c.add(bad("numeric request_id", "{\"request_id\":42,\"incident_id\":\"Q1\",\"agent\":\"a\",\"note\":\"n\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("blank request_id", "{\"request_id\":\"  \",\"incident_id\":\"Q1\",\"agent\":\"a\",\"note\":\"n\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("201-character request_id", "{\"request_id\":\"" + "r".repeat(201)
                + "\",\"incident_id\":\"Q1\",\"agent\":\"a\",\"note\":\"n\"}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("incident_id with a path", "{\"request_id\":\"r\",\"incident_id\":\"Q1/../x\",\"agent\":\"a\",\"note\":\"n\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("incident_id with a trailing newline", "{\"request_id\":\"r\",\"incident_id\":\"Q1\\n\",\"agent\":\"a\","
                + "\"note\":\"n\"}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("65-character incident_id", "{\"request_id\":\"r\",\"incident_id\":\"" + "A".repeat(65)
                + "\",\"agent\":\"a\",\"note\":\"n\"}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("empty incident_id", "{\"request_id\":\"r\",\"incident_id\":\"\",\"agent\":\"a\",\"note\":\"n\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("numeric incident_id", "{\"request_id\":\"r\",\"incident_id\":12,\"agent\":\"a\",\"note\":\"n\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("empty agent", "{\"request_id\":\"r\",\"incident_id\":\"Q1\",\"agent\":\"\",\"note\":\"n\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("agent of an ideographic space", "{\"request_id\":\"r\",\"incident_id\":\"Q1\",\"agent\":\"\\u3000\","
                + "\"note\":\"n\"}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("boolean agent", "{\"request_id\":\"r\",\"incident_id\":\"Q1\",\"agent\":true,\"note\":\"n\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("blank note", "{" + ID + ",\"note\":\" \\n\\t\"}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("note of an em space", "{" + ID + ",\"note\":\"\\u2003\"}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("note of a file separator (whitespace to Java)", "{" + ID + ",\"note\":\"\\u001c\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("numeric note", "{" + ID + ",\"note\":5}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("object note", "{" + ID + ",\"note\":{\"text\":\"n\"}}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("numeric status", "{" + ID + ",\"status\":1}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("from_email without @", "{" + ID + ",\"note\":\"n\",\"from_email\":\"not-an-email\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("from_email without a dot", "{" + ID + ",\"note\":\"n\",\"from_email\":\"a@b\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("from_email with a space inside", "{" + ID + ",\"note\":\"n\",\"from_email\":\"a b@c.de\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("from_email whose local part is a control character", "{" + ID
                + ",\"note\":\"n\",\"from_email\":\"\\u0001@b.co\"}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("numeric from_email", "{" + ID + ",\"note\":\"n\",\"from_email\":3}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("empty result_id", "{" + ID + ",\"note\":\"n\",\"result_id\":\"\"}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("blank result_id", "{" + ID + ",\"note\":\"n\",\"result_id\":\"  \"}", DeadLetterReason.INVALID_FIELD));
        c.add(bad("201-character result_id", "{" + ID + ",\"note\":\"n\",\"result_id\":\"" + "x".repeat(201) + "\"}",
                DeadLetterReason.INVALID_FIELD));
        c.add(bad("numeric result_id", "{" + ID + ",\"note\":\"n\",\"result_id\":99}", DeadLetterReason.INVALID_FIELD));
        // unknown_status
        c.add(bad("status closed", "{" + ID + ",\"status\":\"closed\"}", DeadLetterReason.UNKNOWN_STATUS));
        c.add(bad("status in another case", "{" + ID + ",\"status\":\"Acknowledged\"}", DeadLetterReason.UNKNOWN_STATUS));
        c.add(bad("empty status", "{" + ID + ",\"note\":\"n\",\"status\":\"\"}", DeadLetterReason.UNKNOWN_STATUS));
        return c;
    }

    private static Case ok(String name, String json) {
        return new Case(name, json, null);
    }

    private static Case bad(String name, String json, DeadLetterReason reason) {
        return new Case(name, json, reason);
    }
}
