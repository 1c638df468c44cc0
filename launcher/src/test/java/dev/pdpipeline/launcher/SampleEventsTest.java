package dev.pdpipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.event.IncidentLocator;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.launcher.sample.SampleEvents;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SampleEventsTest {

    static Iterable<String> eventTypes() {
        return SampleEvents.DATA_TYPES.keySet();
    }

    @ParameterizedTest
    @MethodSource("eventTypes")
    void everyEventTypeCarriesItsDataTypeAndTheIncidentWhereItHasOne(String eventType) throws Exception {
        SampleEvents.Spec spec = new SampleEvents.Spec(eventType, "evt-1", "QINC1", 7, "Title", "P2", "low",
                "PSVC1", "svc", "PTEAM1", "team", Instant.parse("2026-01-01T00:00:00Z"));
        JsonNode root = Json.mapper().readTree(SampleEvents.delivery(spec));
        JsonNode event = root.get("event");
        assertThat(event.get("id").asText()).isEqualTo("evt-1");
        assertThat(event.get("event_type").asText()).isEqualTo(eventType);
        assertThat(event.at("/data/type").asText()).isEqualTo(SampleEvents.DATA_TYPES.get(eventType));
        if (eventType.startsWith("incident.")) {
            assertThat(IncidentLocator.incidentId(event)).contains("QINC1");
        } else {
            assertThat(IncidentLocator.incidentId(event)).isEmpty();
        }
    }
}
