package dev.pdpipeline.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.common.json.Json;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
 * {@link PagerDutyEvent#parse} is fed whatever the network can send: it must answer with a valid
 * event or an {@link InvalidEventException}, never another exception, and never quote the body.
 */
class PagerDutyEventParsePropertiesTest {

    /** Planted in bodies; an exception message that contains it quoted the body. */
    private static final String MARKER = "QUOTED-BODY-MARKER-7f3a";

    private static final byte[] VALID = ("{\"event\":{\"id\":\"01ABC\",\"event_type\":\"incident.triggered\","
            + "\"resource_type\":\"incident\",\"occurred_at\":\"2025-03-04T10:15:30Z\",\"agent\":null,"
            + "\"client\":null,\"data\":{\"id\":\"PINC0001\",\"type\":\"incident\",\"title\":\"" + MARKER + "\","
            + "\"priority\":{\"summary\":\"P1\"},\"urgency\":\"high\"}}}").getBytes(StandardCharsets.UTF_8);

    @Property(tries = 1000, edgeCases = EdgeCasesMode.MIXIN)
    void arbitraryBytesGiveAnEventOrInvalidEventException(@ForAll("bodies") byte[] body) {
        checkOutcome(body);
    }

    @Property(tries = 500, edgeCases = EdgeCasesMode.MIXIN)
    void mutatedValidEventsGiveAnEventOrInvalidEventException(@ForAll("mutatedEvents") byte[] body) {
        checkOutcome(body);
    }

    @Property(tries = 500, edgeCases = EdgeCasesMode.MIXIN)
    void eventShapedJsonWithWrongTypesGivesAnEventOrInvalidEventException(@ForAll("eventShaped") String json) {
        checkOutcome(json.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 200)
    void nestingBeyondTheLimitIsRejectedAsTooLarge(@ForAll("depths") int depth) {
        byte[] body = ("{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"data\":" + "[".repeat(depth)
                + "]".repeat(depth) + "}}").getBytes(StandardCharsets.UTF_8);
        // the root and event objects add two levels
        if (depth + 2 > Json.MAX_NESTING_DEPTH) {
            assertThatThrownBy(() -> PagerDutyEvent.parse(body)).isInstanceOf(InvalidEventException.class)
                    .extracting(e -> ((InvalidEventException) e).reason()).isEqualTo(InvalidEventException.TOO_LARGE);
        } else {
            checkOutcome(body);
        }
        Statistics.label("over limit").collect(depth + 2 > Json.MAX_NESTING_DEPTH);
    }

    @Example
    void stringLongerThanTheLimitIsRejectedAsTooLarge() {
        String huge = "x".repeat(Json.MAX_STRING_LENGTH + 1);
        byte[] body = ("{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"data\":{\"title\":\"" + huge + "\"}}}")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PagerDutyEvent.parse(body)).isInstanceOfSatisfying(InvalidEventException.class,
                e -> {
                    assertThat(e.reason()).isEqualTo(InvalidEventException.TOO_LARGE);
                    assertThat(e.getMessage()).doesNotContain("xxxxxxxx");
                });
    }

    @Example
    void numberLongerThanTheLimitIsRejectedAsTooLarge() {
        byte[] body = ("{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"data\":{\"n\":" + "9".repeat(5000) + "}}}")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PagerDutyEvent.parse(body)).isInstanceOfSatisfying(InvalidEventException.class,
                e -> assertThat(e.reason()).isEqualTo(InvalidEventException.TOO_LARGE));
    }

    @Example
    void duplicateKeysAreRejectedWithoutQuotingThem() {
        byte[] body = ("{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"" + MARKER + "\":1,\"" + MARKER + "\":2}}")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PagerDutyEvent.parse(body)).isInstanceOfSatisfying(InvalidEventException.class,
                e -> {
                    assertThat(e.reason()).isEqualTo(InvalidEventException.DUPLICATE_KEY);
                    assertThat(e.getMessage()).doesNotContain(MARKER);
                });
    }

    /** The whole contract: a checked failure with a stable reason, or an event with id and type. */
    private static void checkOutcome(byte[] body) {
        try {
            PagerDutyEvent event = PagerDutyEvent.parse(body);
            assertThat(event.event().get("id").isTextual()).isTrue();
            assertThat(event.event().get("id").textValue()).isNotBlank();
            assertThat(event.event().get("event_type").textValue()).isNotBlank();
            assertThat(event.metadata()).isNotNull();
            // toString names the id and type; nothing else of the body may show up in it
            String id = event.event().get("id").textValue();
            String type = event.event().get("event_type").textValue();
            if (!id.contains(MARKER) && !type.contains(MARKER)) {
                assertThat(event.toString()).doesNotContain(MARKER);
            }
            // Jackson decodes some invalid UTF-8 inside strings (overlong C0 AF, code points above
            // U+10FFFF) instead of refusing it; harmless here because every stage parses with the same
            // mapper, so no two parsers disagree. Counted, not asserted.
            Statistics.label("outcome").collect(isStrictUtf8(body) ? "event" : "event (lenient UTF-8)");
        } catch (InvalidEventException e) {
            assertThat(e.reason()).isIn(InvalidEventException.NOT_JSON, InvalidEventException.DUPLICATE_KEY,
                    InvalidEventException.TOO_LARGE, InvalidEventException.NOT_AN_OBJECT,
                    InvalidEventException.MISSING_EVENT, InvalidEventException.MISSING_EVENT_ID,
                    InvalidEventException.MISSING_EVENT_TYPE);
            assertThat(e.getMessage()).doesNotContain(MARKER);
            Statistics.label("outcome").collect(e.reason());
        }
    }

    private static boolean isStrictUtf8(byte[] body) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        Arbitrary<byte[]> raw = Arbitraries.bytes().array(byte[].class).ofMaxSize(2048);
        Arbitrary<byte[]> text = Arbitraries.strings().all().ofMaxLength(512)
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> json = jsonValues().map(s -> s.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(raw, text, json);
    }

    @Provide
    Arbitrary<byte[]> mutatedEvents() {
        Arbitrary<Mutation> mutation = Combinators.combine(
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, VALID.length - 1),
                Arbitraries.of(INVALID_UTF8)).as(Mutation::new);
        return mutation.list().ofMinSize(1).ofMaxSize(6).map(list -> {
            byte[] body = VALID.clone();
            for (Mutation m : list) {
                body = m.apply(body);
            }
            return body;
        });
    }

    @Provide
    Arbitrary<String> eventShaped() {
        Arbitrary<String> value = jsonValues();
        Arbitrary<String> id = Arbitraries.oneOf(value, Arbitraries.of("\"e-1\"", "\"\"", "\"   \"", "null", "1",
                "[\"e\"]", "{\"id\":\"e\"}"));
        Arbitrary<String> type = Arbitraries.oneOf(value, Arbitraries.of("\"incident.triggered\"", "\"pagey.ping\"",
                "null", "true", "\"\\u0000\""));
        Arbitrary<String> event = Combinators.combine(id, type, value, value)
                .as((i, t, d, extra) -> "{\"id\":" + i + ",\"event_type\":" + t + ",\"data\":" + d
                        + ",\"resource_type\":" + extra + ",\"occurred_at\":" + extra + "}");
        return Arbitraries.oneOf(
                event.map(e -> "{\"event\":" + e + "}"),
                event.map(e -> "{\"event\":" + e + ",\"event\":" + e + "}"),
                value.map(v -> "{\"event\":" + v + "}"),
                event.map(e -> "[" + e + "]"),
                event.map(e -> "{\"event\":" + e + "} trailing"));
    }

    @Provide
    Arbitrary<Integer> depths() {
        return Arbitraries.integers().between(1, 5000).edgeCases(c -> c.add(61, 62, 63, 64, 65, 66, 1000));
    }

    /** Arbitrary JSON-ish text: well-formed values mostly, with odd numbers, escapes and keys. */
    private static Arbitrary<String> jsonValues() {
        Arbitrary<String> leaf = Arbitraries.oneOf(
                Arbitraries.of("null", "true", "false", "0", "-0", "1e999999", "-1.5E-400", "1.0e+", "01", "NaN",
                        "Infinity", "\"\\ud800\"", "\"\\uZZZZ\"", "\"\\q\"", "\"\u0000\"", "\"" + MARKER + "\""),
                Arbitraries.integers().between(1, 400).map("9"::repeat),
                Arbitraries.strings().all().ofMaxLength(40).map(s -> "\"" + s.replace("\\", "\\\\")
                        .replace("\"", "\\\"") + "\""),
                Arbitraries.strings().all().ofMaxLength(20).map(s -> "\"" + s + "\""));
        return Arbitraries.recursive(() -> leaf, inner -> Arbitraries.oneOf(
                inner.list().ofMaxSize(4).map(items -> "[" + String.join(",", items) + "]"),
                Combinators.combine(Arbitraries.of("event", "id", "event_type", "data", MARKER, ""), inner)
                        .as((k, v) -> "\"" + k + "\":" + v)
                        .list().ofMaxSize(4).map(members -> "{" + String.join(",", members) + "}")), 0, 5);
    }

    private static final List<byte[]> INVALID_UTF8 = List.of(
            new byte[] {(byte) 0xff}, new byte[] {(byte) 0xc3, 0x28}, new byte[] {(byte) 0xc0, (byte) 0xaf},
            new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, new byte[] {(byte) 0xe2, (byte) 0x82},
            new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[] {0}, "\"".getBytes(
                    StandardCharsets.UTF_8), "{".getBytes(StandardCharsets.UTF_8), "\\".getBytes(StandardCharsets.UTF_8));

    /** One edit: 0 delete, 1 insert, 2 replace, 3 duplicate a slice, 4 truncate. */
    private record Mutation(int kind, int position, byte[] bytes) {
        byte[] apply(byte[] body) {
            if (body.length == 0) {
                return bytes.clone();
            }
            int at = position % body.length;
            List<Byte> out = new ArrayList<>(body.length + bytes.length);
            for (byte b : body) {
                out.add(b);
            }
            switch (kind) {
                case 0 -> out.remove(at);
                case 1 -> {
                    for (int i = bytes.length - 1; i >= 0; i--) {
                        out.add(at, bytes[i]);
                    }
                }
                case 2 -> out.set(at, bytes[0]);
                case 3 -> out.addAll(at, new ArrayList<>(out.subList(at, Math.min(out.size(), at + 16))));
                default -> {
                    return java.util.Arrays.copyOf(body, at);
                }
            }
            byte[] result = new byte[out.size()];
            for (int i = 0; i < result.length; i++) {
                result[i] = out.get(i);
            }
            return result;
        }
    }
}
