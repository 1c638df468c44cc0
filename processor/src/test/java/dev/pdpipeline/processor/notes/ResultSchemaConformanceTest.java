package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.processor.contract.ContractSchemas;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code schemas/result.schema.json} and the notes writer's validation ({@link AgentResult#parse})
 * agree: a result the schema rejects is dead-lettered with the expected reason, and a result the
 * writer dead-letters as invalid is rejected by the schema.
 */
class ResultSchemaConformanceTest {

    @TestFactory
    Stream<DynamicTest> schemaAndNotesWriterAgreeOnEveryEdgeCase() {
        return ResultSchemaCases.all().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            byte[] value = c.json().getBytes(StandardCharsets.UTF_8);
            List<String> schemaErrors = ContractSchemas.errors(ContractSchemas.RESULT, value);
            DeadLetterReason writer = writerReason(value);
            assertThat(writer).as("the notes writer's verdict on %s", c.name()).isEqualTo(c.reason());
            if (c.valid()) {
                assertThat(schemaErrors).as("schema errors on %s", c.name()).isEmpty();
            } else {
                assertThat(schemaErrors).as("the schema rejects %s", c.name()).isNotEmpty();
            }
        }));
    }

    /**
     * Random results built from values on both sides of every rule: the schema and the writer
     * give the same verdict on each (a fixed seed, so a failure is reproducible).
     */
    @Test
    void schemaAndNotesWriterAgreeOnRandomResults() {
        Object absent = new Object();
        // the first value of each pool is a valid one, taken three times in four
        Object[] requestIds = {"r1", absent, null, "", " ", 42, "x".repeat(200), "x".repeat(201), "\u2028"};
        Object[] incidentIds = {"Q1", absent, null, "Q1\n", "bad id", "", "A".repeat(64), "A".repeat(65), "é", "Q_1-x",
            "Q1\u2028", 7};
        Object[] agents = {"a", absent, null, "", "\u3000", true, "\u00a0", "diag agent"};
        Object[] notes = {"n", absent, null, "", " \u2028", "\u00a0", 1, List.of("x"), "\u001f\u001e", "x\u2007"};
        Object[] statuses = {absent, null, "acknowledged", "resolved", "closed", "", 2, "resolved "};
        Object[] emails = {absent, null, "a@b.co", " a@b.co ", "a@b", "@b.co", "a@@b.co", "a b@c.de", "\u0001@b.co",
            "a@b.c\u0001", "a@b.", "a@.b", "a@b..", "\ta@b.co\r\n", "a@b.co\u00a0", "x@y.z\u2028", 5};
        Object[] resultIds = {absent, null, "rid", "", " ", "x".repeat(200), "x".repeat(201), 7, "\u205f"};
        Random random = new Random(16);
        int rejectedBySchema = 0;
        for (int i = 0; i < 4_000; i++) {
            ObjectNode json = Json.mapper().createObjectNode();
            BiConsumer<String, Object[]> put = (field, pool) -> {
                Object v = random.nextInt(4) < 3 ? pool[0] : pool[random.nextInt(pool.length)];
                if (v != absent) {
                    json.set(field, Json.mapper().valueToTree(v));
                }
            };
            put.accept("request_id", requestIds);
            put.accept("incident_id", incidentIds);
            put.accept("agent", agents);
            put.accept("note", notes);
            put.accept("status", statuses);
            put.accept("from_email", emails);
            put.accept("result_id", resultIds);
            byte[] value = json.toString().getBytes(StandardCharsets.UTF_8);
            boolean schemaValid = ContractSchemas.errors(ContractSchemas.RESULT, value).isEmpty();
            DeadLetterReason writer = writerReason(value);
            assertThat(schemaValid).as("schema says %s, writer says %s, for %s", schemaValid ? "valid" : "invalid",
                    writer == null ? "valid" : writer.code(), json).isEqualTo(writer == null);
            rejectedBySchema += schemaValid ? 0 : 1;
        }
        // both verdicts were exercised
        assertThat(rejectedBySchema).isBetween(400, 3_600);
    }

    private static DeadLetterReason writerReason(byte[] value) {
        try {
            AgentResult.parse(value);
            return null;
        } catch (InvalidResultException e) {
            return e.reason();
        }
    }
}
