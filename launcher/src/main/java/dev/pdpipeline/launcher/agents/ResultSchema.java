package dev.pdpipeline.launcher.agents;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;

/**
 * {@code schemas/result.schema.json}, shipped in the launcher's jar: what the agent contract says
 * about one result value, in words a person can act on.
 */
public final class ResultSchema {

    /** Where the schema is on the class path. */
    public static final String RESOURCE = "/schemas/result.schema.json";

    private static volatile ResultSchema loaded;

    private final Schema schema;

    private ResultSchema(Schema schema) {
        this.schema = schema;
    }

    /** The schema, loaded on first use. */
    public static ResultSchema load() {
        ResultSchema s = loaded;
        if (s == null) {
            try (InputStream in = ResultSchema.class.getResourceAsStream(RESOURCE)) {
                Objects.requireNonNull(in, RESOURCE + " is missing from the class path");
                s = new ResultSchema(SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                        .getSchema(Json.mapper().readTree(in)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + RESOURCE, e);
            }
            loaded = s;
        }
        return s;
    }

    /**
     * The schema's complaints about a result value, one line each ({@code /field: message}),
     * empty when it is valid; a value that is not JSON at all gives one line saying so.
     */
    public List<String> errors(byte[] value) {
        if (value == null || value.length == 0) {
            return List.of("(root): empty value: a result must be a JSON object");
        }
        JsonNode json;
        try {
            json = Json.mapper().readTree(value);
        } catch (IOException e) {
            return List.of("(root): not JSON (" + firstLine(e.getMessage()) + "): a result must be a JSON object");
        }
        if (json == null) {
            return List.of("(root): empty value: a result must be a JSON object");
        }
        return schema.validate(json).stream().map(ResultSchema::describe).toList();
    }

    private static String describe(Error e) {
        String where = e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString();
        String message = e.getMessage();
        return (where.isEmpty() || where.equals("$") ? "(root)" : where) + ": " + message;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
