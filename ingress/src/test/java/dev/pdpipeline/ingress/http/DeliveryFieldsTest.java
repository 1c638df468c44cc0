package dev.pdpipeline.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.event.IncidentLocator;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.ingress.testing.Webhooks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The partial parse gives the same key, incident and event id as a full tree read through
 * {@link IncidentLocator}, and still refuses what a full parse refuses.
 */
class DeliveryFieldsTest {

    private static final List<String> NAMES = List.of("event", "data", "id", "type", "incident", "service",
            "incident_role_assignments", "event_type", "title", "incident");

    @Test
    void readsTheSameKeyAsTheFullTreeForOurFixtures() throws IOException {
        for (String name : List.of("incident.annotated.json", "incident.role.assigned.json", "incident.triggered.json",
                "pagey.ping.json", "service.updated.json")) {
            assertSameAsFullParse(Webhooks.fixture(name));
        }
        assertThat(DeliveryFields.read(Webhooks.fixture("pagey.ping.json")).ping()).isTrue();
        assertThat(DeliveryFields.read(Webhooks.fixture("incident.triggered.json")).key()).isEqualTo("PINC0001");
    }

    @Test
    void readsTheSameKeyAsTheFullTreeForPagerDutysOwnDeliveries() throws IOException {
        String dir = System.getProperty("pdpipeline.shared.dir");
        Path shared = dir == null ? null : Path.of(dir, "pagerduty");
        assumeTrue(shared != null && Files.isDirectory(shared),
                "../shared not present: PagerDuty's webhook samples and real deliveries cannot be checked");
        List<Path> files = new ArrayList<>();
        for (String sub : List.of("real-deliveries", "webhook-samples")) {
            try (Stream<Path> listing = Files.list(shared.resolve(sub))) {
                listing.filter(p -> p.toString().endsWith(".json")).forEach(files::add);
            }
        }
        assertThat(files).hasSizeGreaterThan(10);
        int withKey = 0;
        for (Path file : files) {
            byte[] body = Files.readAllBytes(file);
            JsonNode tree = Json.mapper().readTree(body);
            if (!tree.has("event")) {
                continue; // not a delivery (signature vectors, a subscription request)
            }
            assertSameAsFullParse(body);
            withKey += DeliveryFields.read(body).key() == null ? 0 : 1;
        }
        assertThat(withKey).isGreaterThan(5);
    }

    @Test
    void findsTheIncidentOfARoleAssignmentAndTheServiceOfServiceFieldValues() throws IOException {
        byte[] assignment = """
                {"event":{"id":"E1","event_type":"incident.role_assigned","data":{"type":"incident_role_assignment",
                 "incident_role_assignments":[{"role":{"id":"R"}},{"incident":{"id":"PINC9","title":"t"}}]}}}
                """.getBytes(StandardCharsets.UTF_8);
        byte[] service = """
                {"event":{"id":"E2","data":{"type":"service_field_values","service":{"id":"PSVC1"}}}}
                """.getBytes(StandardCharsets.UTF_8);

        assertThat(DeliveryFields.read(assignment)).isEqualTo(new DeliveryFields("PINC9", "PINC9", "E1", false));
        assertThat(DeliveryFields.read(service)).isEqualTo(new DeliveryFields("PSVC1", null, "E2", false));
    }

    @Test
    void refusesWhatIsNotJsonAnywhereInTheBody() {
        byte[] brokenAtTheEnd = "{\"event\":{\"id\":\"E1\",\"data\":{\"id\":\"Q1\"},\"x\":[1,2}}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] trailing = "{\"event\":{\"id\":\"E1\",\"data\":{\"id\":\"Q1\"}}} {}".getBytes(StandardCharsets.UTF_8);
        byte[] brokenInASkippedString = "{\"event\":{\"data\":{\"id\":\"Q1\",\"x\":\"a\\qb\"}}}"
                .getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> DeliveryFields.read(brokenAtTheEnd)).isInstanceOf(JacksonException.class);
        assertThatThrownBy(() -> DeliveryFields.read(trailing)).isInstanceOf(JacksonException.class);
        assertThatThrownBy(() -> DeliveryFields.read(brokenInASkippedString)).isInstanceOf(JacksonException.class);
    }

    @Test
    void keysABodyWithDuplicateMembersWhichTheProcessorDeadLetters() throws IOException {
        // the ingress publishes every authenticated body; the processor's full parse refuses this one
        byte[] duplicateInSkippedPart = """
                {"event":{"id":"E1","data":{"type":"incident","id":"Q1","body":{"a":1,"a":2}}}}
                """.getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> Json.mapper().readTree(duplicateInSkippedPart)).isInstanceOf(JacksonException.class);
        assertThat(DeliveryFields.read(duplicateInSkippedPart)).isEqualTo(new DeliveryFields("Q1", "Q1", "E1", false));
    }

    @Test
    void bodiesThatAreNotEventsHaveNoKey() throws IOException {
        for (String body : List.of("", "[]", "[{\"event\":{\"data\":{\"id\":\"Q\"}}}]", "\"text\"", "42", "{}",
                "{\"event\":[]}", "{\"event\":{\"data\":\"Q\"}}", "{\"event\":{\"data\":{\"id\":7}}}")) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            assertThat(DeliveryFields.read(bytes).key()).as(body).isNull();
            assertSameAsFullParse(bytes);
        }
    }

    @Property(tries = 400)
    void randomEventShapesGiveTheFullParsesKey(@ForAll("deliveries") Object delivery) throws IOException {
        assertSameAsFullParse(Json.mapper().writeValueAsBytes(delivery));
    }

    @Provide
    Arbitrary<Object> deliveries() {
        return value(4).map(v -> {
            Map<String, Object> delivery = new LinkedHashMap<>();
            delivery.put("event", v);
            return delivery;
        });
    }

    private Arbitrary<Object> value(int depth) {
        Arbitrary<Object> scalar = Arbitraries.oneOf(
                Arbitraries.of("Q1", "PINC2", "", " ", "incident", "service", "pagey.ping").map(s -> (Object) s),
                Arbitraries.integers().between(0, 9).map(i -> (Object) i),
                Arbitraries.just(null));
        if (depth == 0) {
            return scalar;
        }
        Arbitrary<Object> object = Arbitraries.maps(Arbitraries.of(NAMES), value(depth - 1))
                .ofMaxSize(5).map(m -> (Object) new LinkedHashMap<>(m));
        Arbitrary<Object> array = value(depth - 1).list().ofMaxSize(3).map(l -> (Object) l);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, scalar), net.jqwik.api.Tuple.of(5, object), net.jqwik.api.Tuple.of(1, array));
    }

    private static void assertSameAsFullParse(byte[] body) throws IOException {
        JsonNode full = Json.mapper().readTree(body);
        JsonNode event = full == null ? null : full.get("event");
        DeliveryFields fields = DeliveryFields.read(body);
        String text = new String(body, StandardCharsets.UTF_8);
        assertThat(fields.key()).as(text).isEqualTo(IncidentLocator.partitionKey(full).orElse(null));
        assertThat(fields.incident()).as(text).isEqualTo(IncidentLocator.incidentId(event).orElse(null));
        JsonNode id = event == null ? null : event.get("id");
        assertThat(fields.eventId()).as(text).isEqualTo(id != null && id.isTextual() ? id.asText() : null);
        JsonNode type = event == null ? null : event.get("event_type");
        assertThat(fields.ping()).as(text).isEqualTo(type != null && "pagey.ping".equals(type.asText(null)));
    }
}
