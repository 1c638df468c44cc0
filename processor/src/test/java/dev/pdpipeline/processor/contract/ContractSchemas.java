package dev.pdpipeline.processor.contract;

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
import java.util.stream.Collectors;

/**
 * The agent contract's JSON Schemas ({@code schemas/} at the repository root, on the test class
 * path as {@code /schemas/}), loaded once with a draft 2020-12 validator.
 */
public final class ContractSchemas {

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    public static final Schema REQUEST = load("request.schema.json");
    public static final Schema RESULT = load("result.schema.json");

    private ContractSchemas() {
    }

    private static Schema load(String name) {
        try (InputStream in = ContractSchemas.class.getResourceAsStream("/schemas/" + name)) {
            Objects.requireNonNull(in, "schemas/" + name + " is not on the test class path");
            return REGISTRY.getSchema(Json.mapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The schema's complaints about {@code json}, one line each; empty when valid. */
    public static List<String> errors(Schema schema, JsonNode json) {
        return schema.validate(json).stream().map(Error::toString).collect(Collectors.toList());
    }

    /** {@link #errors} of raw bytes; a value that is not JSON at all gives one "not JSON" line. */
    public static List<String> errors(Schema schema, byte[] value) {
        JsonNode json;
        try {
            json = Json.mapper().readTree(value);
        } catch (IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
        return json == null ? List.of("not JSON: empty") : errors(schema, json);
    }
}
