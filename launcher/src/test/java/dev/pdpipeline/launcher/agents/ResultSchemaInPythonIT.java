package dev.pdpipeline.launcher.agents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.processor.notes.AgentResult;
import dev.pdpipeline.processor.notes.InvalidResultException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code schemas/result.schema.json} means the same to Python's {@code jsonschema} (what the
 * Python agent validates with) as to the notes writer: the same random results on both sides of
 * every rule get the same verdict. Uses the interpreter of {@link PythonAgentIT}; fails without it.
 */
class ResultSchemaInPythonIT {

    private static final String VALIDATE = String.join("\n",
            "import json, sys, jsonschema",
            "v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1], encoding='utf-8')))",
            "for line in open(sys.argv[2], encoding='utf-8'):",
            "    print('valid' if v.is_valid(json.loads(line)) else 'invalid')");

    @TempDir
    Path dir;

    @Test
    void pythonsJsonschemaAndTheNotesWriterAgreeOnRandomResults() throws Exception {
        PythonAgentIT.requirePythonWithModules();
        List<String> values = new ArrayList<>();
        Object absent = new Object();
        Object[][] pools = {
            {"r1", absent, null, "", " ", 42, "x".repeat(200), "x".repeat(201), "\u2028"},
            {"Q1", absent, null, "Q1\n", "bad id", "", "A".repeat(64), "A".repeat(65), "é", "Q1\u2028", "Q1\r", 7},
            {"a", absent, null, "", "\u3000", true, "\u00a0", "\u001c"},
            {"n", absent, null, "", " \u2028", "\u00a0", 1, "\u001f\u001e", "x\u2007", "\u180e"},
            {absent, null, "acknowledged", "resolved", "closed", "", 2, "resolved\n"},
            {absent, null, "a@b.co", " a@b.co ", "a@b", "@b.co", "a@@b.co", "a b@c.de", "\u0001@b.co", "a@b.c\u0001",
                "a@b.", "a@.b", "a@b..", "\ta@b.co\r\n", "a@b.co\u00a0", "a@b.co\n", "a@b.c\u2028", 5},
            {absent, null, "rid", "", " ", "x".repeat(200), "x".repeat(201), 7, "\u205f"},
        };
        String[] fields = {"request_id", "incident_id", "agent", "note", "status", "from_email", "result_id"};
        Random random = new Random(1616);
        for (int i = 0; i < 2_000; i++) {
            ObjectNode json = Json.mapper().createObjectNode();
            for (int f = 0; f < fields.length; f++) {
                Object[] pool = pools[f];
                Object v = random.nextInt(4) < 3 ? pool[0] : pool[random.nextInt(pool.length)];
                if (v != absent) {
                    json.set(fields[f], Json.mapper().valueToTree(v));
                }
            }
            values.add(json.toString());
        }
        Path schema = Path.of("..", "schemas", "result.schema.json").toAbsolutePath().normalize();
        Path input = dir.resolve("results.jsonl");
        Files.write(input, values, StandardCharsets.UTF_8);
        Process python = new ProcessBuilder(PythonAgentIT.PYTHON, "-B", "-c", VALIDATE, schema.toString(),
                input.toString()).redirectErrorStream(true).start();
        String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(python.exitValue()).as(out).isZero();
        List<String> verdicts = out.lines().toList();
        assertThat(verdicts).hasSize(values.size());
        int invalid = 0;
        for (int i = 0; i < values.size(); i++) {
            boolean writerAccepts = accepts(values.get(i));
            assertThat(verdicts.get(i)).as("Python's verdict on %s (the notes writer %s it)", values.get(i),
                    writerAccepts ? "accepts" : "dead-letters").isEqualTo(writerAccepts ? "valid" : "invalid");
            invalid += writerAccepts ? 0 : 1;
        }
        assertThat(invalid).isBetween(200, 1_800);
    }

    private static boolean accepts(String value) {
        try {
            AgentResult.parse(value.getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (InvalidResultException e) {
            return false;
        }
    }
}
