package dev.pdpipeline.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.pdpipeline.common.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * {@link PagerDutyEvent#parse} reads a body in one streaming pass; it must agree in everything with
 * the whole-tree parse it replaced ({@link PagerDutyEvent#parseWholeTree}): the same accept or
 * reject with the same reason and detail, the same metadata and partition key, and
 * {@link PagerDutyEvent#writeEvent}'s original bytes must be the same JSON value as the tree's
 * {@code event}. Reads PagerDuty's samples from ../shared when present.
 */
class PagerDutyEventOnePassTest {

    @Property(tries = 800, edgeCases = EdgeCasesMode.MIXIN)
    void eventShapedBodiesParseAsTheWholeTreeDoes(@ForAll("deliveries") String body) {
        sameAsWholeTree(body.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 500)
    void mutatedBodiesAreAcceptedOrRejectedAsTheWholeTreeDoes(@ForAll("deliveries") String body,
            @ForAll("edits") List<int[]> edits) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int[] edit : edits) {
            bytes = apply(bytes, edit);
        }
        sameAsWholeTree(bytes);
    }

    @Example
    void oddButValidInputsKeepTheirMeaning() {
        for (String body : List.of(
                // whitespace everywhere, escapes, unicode, a nested "event" inside data, numbers of every kind
                " \n{ \"x\" : [1,{\"event\":{}}] ,\t\"event\"\r\n:\n{ \"id\" : \"E\\u0031\\n\" , \"event_type\":"
                        + "\"incident.triggered\", \"data\" : {\"event\":{\"id\":\"inner\"},\"type\":\"incident\","
                        + "\"id\":\"P\\\"Q\",\"number\":1e3,\"title\":\"\u00e9\u4e2d\ud83d\ude00 \\ud83d\\ude00\","
                        + "\"priority\":{\"name\":\"P1\"},\"teams\":[1,null,{\"id\":7,\"name\":\"Ops\"},[]],"
                        + "\"assignees\":[{\"id\":12345678901234567890}],\"urgency\":true}} } ",
                // member kinds the readers do not expect: containers where scalars go and back
                "{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"agent\":[1],\"data\":{\"type\":{\"a\":1},"
                        + "\"service\":\"S\",\"priority\":[\"P1\"],\"incident\":{\"id\":{\"x\":1}},"
                        + "\"incident_role_assignments\":[{\"incident\":{\"id\":\"PR\",\"summary\":2.50}}]}}}",
                "{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"data\":{\"type\":\"service\",\"id\":\"PS\","
                        + "\"name\":\"svc\",\"html_url\":\"u\",\"teams\":[{\"summary\":\"T\"}]}}}",
                "{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"data\":{\"type\":\"service_field_values\","
                        + "\"service\":{\"id\":\"PSF\",\"summary\":\"s\"}}}}",
                "\ufeff{\"event\":{\"id\":\"bom\",\"event_type\":\"t\"}}")) {
            PagerDutyEvent event = sameAsWholeTree(body.getBytes(StandardCharsets.UTF_8));
            assertThat(event).as(body).isNotNull();
        }
    }

    @Example
    void oddInvalidInputsAreRejectedAsBefore() {
        for (String body : List.of("", "   ", "{}", "[]", "\"event\"", "null", "{\"event\":[]}",
                "{\"event\":{\"id\":\"e\",\"event_type\":\"t\"}} {}", "{\"event\":{\"id\":\"e\",\"event_type\":\"t\"}} x",
                "{\"event\":{\"id\":\"e\",\"event_type\":\"t\"},\"event\":{}}",
                "{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"data\":{\"a\":1,\"a\":2}}}",
                "{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"data\":{\"n\":" + "9".repeat(200) + "}}}",
                "{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"data\":" + "[".repeat(70) + "]".repeat(70) + "}}",
                "{\"event\":{\"id\":\"   \",\"event_type\":\"t\"}}", "{\"event\":{\"id\":\"e\",\"event_type\":5}}",
                "{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"x\":\"\\q\"}}")) {
            assertThat(sameAsWholeTree(body.getBytes(StandardCharsets.UTF_8))).as(body).isNull();
        }
        byte[] utf16 = "{\"event\":{\"id\":\"e\",\"event_type\":\"t\"}}".getBytes(StandardCharsets.UTF_16BE);
        PagerDutyEvent event = sameAsWholeTree(utf16);
        assertThat(event).isNotNull();
        assertThat(event.hasRawEvent()).as("no UTF-8 bytes to copy: the tree is written").isFalse();
    }

    @Example
    void everyPublishedDeliveryParsesAsTheWholeTreeDoes() throws IOException {
        Path shared = EventFixtures.sharedPagerDutyDir();
        assumeTrue(shared != null, "../shared not present: PagerDuty's deliveries cannot be checked");
        List<Path> files = new ArrayList<>();
        for (String dir : List.of("webhook-samples", "real-deliveries")) {
            try (Stream<Path> list = Files.list(shared.resolve(dir))) {
                list.filter(p -> p.toString().endsWith(".json")).sorted().forEach(files::add);
            }
        }
        int raw = 0;
        for (Path file : files) {
            byte[] body = Files.readAllBytes(file);
            if (file.getFileName().toString().startsWith("data-")) {
                // an event.data object: wrapped around its own bytes, which stay as they are
                byte[] head = "{\"event\":{\"id\":\"sample\",\"event_type\":\"incident.triggered\",\"data\":"
                        .getBytes(StandardCharsets.UTF_8);
                ByteArrayOutputStream wrapped = new ByteArrayOutputStream();
                wrapped.write(head);
                wrapped.write(body);
                wrapped.write("}}".getBytes(StandardCharsets.UTF_8));
                body = wrapped.toByteArray();
            }
            PagerDutyEvent event = sameAsWholeTree(body);
            if (event != null && event.hasRawEvent()) {
                raw++;
            }
        }
        assertThat(raw).as("published deliveries that are valid events").isGreaterThan(20);
    }

    /** Asserts that both parses agree; the one-pass event, or null when both rejected the body. */
    private static PagerDutyEvent sameAsWholeTree(byte[] body) {
        PagerDutyEvent tree;
        try {
            tree = PagerDutyEvent.parseWholeTree(body);
        } catch (InvalidEventException expected) {
            try {
                PagerDutyEvent onePass = PagerDutyEvent.parse(body);
                throw new AssertionError("one pass accepted what the tree rejects (" + expected.getMessage()
                        + "): " + onePass);
            } catch (InvalidEventException e) {
                assertThat(e.reason()).isEqualTo(expected.reason());
                assertThat(e.detail()).isEqualTo(expected.detail());
                Statistics.label("outcome").collect(e.reason());
                return null;
            }
        }
        PagerDutyEvent onePass;
        try {
            onePass = PagerDutyEvent.parse(body);
        } catch (InvalidEventException e) {
            throw new AssertionError("one pass rejected what the tree accepts: " + e.getMessage(), e);
        }
        assertThat(onePass.metadata()).isEqualTo(tree.metadata());
        assertThat(onePass.partitionKey()).isEqualTo(tree.partitionKey());
        assertThat(onePass.isPing()).isEqualTo(tree.isPing());
        assertThat(onePass.event()).isEqualTo(tree.event());
        assertThat(onePass.root()).isEqualTo(tree.root());
        assertThat(written(onePass, true)).isEqualTo(tree.event());
        assertThat(written(onePass, false)).isEqualTo(tree.event());
        Statistics.label("outcome").collect(onePass.hasRawEvent() ? "event (raw bytes)" : "event (tree)");
        return onePass;
    }

    /** {@code writeEvent} into a UTF-8 generator (raw bytes) or a token buffer (tree), read back. */
    private static JsonNode written(PagerDutyEvent event, boolean utf8) {
        try {
            if (utf8) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out)) {
                    g.writeStartArray();
                    event.writeEvent(g);
                    g.writeEndArray();
                }
                return Json.mapper().readTree(out.toByteArray()).get(0);
            }
            try (TokenBuffer buffer = new TokenBuffer(Json.mapper(), false)) {
                event.writeEvent(buffer);
                return Json.mapper().readTree(buffer.asParser());
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] apply(byte[] body, int[] edit) {
        if (body.length == 0) {
            return new byte[] {(byte) edit[2]};
        }
        int at = edit[1] % body.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (edit[0]) {
            case 0 -> {
                out.write(body, 0, at);
                out.write(body, at + 1, body.length - at - 1);
            }
            case 1 -> {
                out.write(body, 0, at);
                out.write(edit[2]);
                out.write(body, at, body.length - at);
            }
            case 2 -> {
                out.write(body, 0, body.length);
                return replace(out.toByteArray(), at, (byte) edit[2]);
            }
            default -> out.write(body, 0, at);
        }
        return out.toByteArray();
    }

    private static byte[] replace(byte[] body, int at, byte b) {
        body[at] = b;
        return body;
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        Arbitrary<Integer> bytes = Arbitraries.of(0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x20, 0x30, 0x61,
                0xff, 0xc3, 0xed, 0x00, 0x0a);
        return Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 4096),
                bytes).as((kind, at, b) -> new int[] {kind, at, b}).list().ofMinSize(1).ofMaxSize(3);
    }

    /** Delivery-shaped JSON: the members the readers look at, in any order and kind, with noise. */
    @Provide
    Arbitrary<String> deliveries() {
        Arbitrary<String> value = values();
        Arbitrary<String> id = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, Arbitraries.of("\"01E\"", "\"E\\u00e9\"", "\"Q\u4e2d\"")),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("\"\"", "null", "7", "\" \"")),
                net.jqwik.api.Tuple.of(1, value));
        Arbitrary<String> type = Arbitraries.of("\"incident.triggered\"", "\"pagey.ping\"", "\"service.updated\"",
                "\"incident.annotated\"", "1");
        Arbitrary<String> data = members(value).map(m -> "{" + m + "}");
        Arbitrary<String> noise = Combinators.combine(Arbitraries.of("x", "client", "y\\u0041"), value)
                .as((k, v) -> ",\"" + k + "\":" + v).list().uniqueElements(m -> m.substring(0, 4)).ofMaxSize(2)
                .map(list -> String.join("", list));
        Arbitrary<String> event = Combinators.combine(id, type, data, noise, ws())
                .as((i, t, d, extra, w) -> "{" + w + "\"id\"" + w + ":" + i + ",\"event_type\":" + t + "," + w
                        + "\"data\":" + d + extra + w + "}");
        return Combinators.combine(event, members(value), ws()).as((e, extra, w) -> w + "{" + w
                + (extra.isEmpty() ? "" : extra + ",") + "\"event\"" + w + ":" + w + e + w + "}" + w);
    }

    private static Arbitrary<String> ws() {
        return Arbitraries.of("", " ", "\n\t ", "\r\n");
    }

    private static final List<String> KEYS = List.of("id", "type", "event", "data", "incident", "service", "teams",
            "assignees", "priority", "summary", "name", "html_url", "title", "number", "status", "urgency",
            "incident_key", "incident_role_assignments", "agent", "event_type", "occurred_at", "resource_type",
            "x\\u0041", "noise");

    private static Arbitrary<String> members(Arbitrary<String> value) {
        Arbitrary<String> unique = Combinators.combine(Arbitraries.of(KEYS).list().uniqueElements().ofMaxSize(6),
                value.list().ofSize(6), ws()).as((keys, vs, w) -> {
                    List<String> out = new ArrayList<>();
                    for (int i = 0; i < keys.size(); i++) {
                        out.add("\"" + keys.get(i) + "\"" + w + ":" + w + vs.get(i));
                    }
                    return String.join(",", out);
                });
        Arbitrary<String> anyKeys = Combinators.combine(Arbitraries.of(KEYS), value, ws())
                .as((k, v, w) -> "\"" + k + "\"" + w + ":" + w + v).list().ofMaxSize(4)
                .map(list -> String.join(",", list));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(9, unique), net.jqwik.api.Tuple.of(1, anyKeys));
    }

    private static Arbitrary<String> values() {
        Arbitrary<String> leaf = Arbitraries.oneOf(
                Arbitraries.of("null", "true", "false", "0", "-0", "42", "-7", "2147483648", "9223372036854775808",
                        "1.5", "1e3", "-2.5E-3", "0.1000000000000000055511151231257827", "\"P1\"", "\"incident\"",
                        "\"service\"", "\"high\"", "\"\\\"q\\\\\"", "\"\\u00e9\\ud83d\\ude00\"", "\"\u4e2d\u00e9\"",
                        "\"  \"", "\"\""),
                Arbitraries.strings().ofMaxLength(12).map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"")
                        .replaceAll("[\\x00-\\x1f]", " ") + "\""));
        return Arbitraries.recursive(() -> leaf, inner -> Arbitraries.oneOf(
                inner.list().ofMaxSize(3).map(items -> "[" + String.join(",", items) + "]"),
                members(inner).map(m -> "{" + m + "}")), 0, 4);
    }
}
