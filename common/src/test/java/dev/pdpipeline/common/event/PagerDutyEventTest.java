package dev.pdpipeline.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.pdpipeline.common.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PagerDutyEventTest {

    @Test
    void parsesADeliveryAndExposesRootEventAndMetadata() {
        PagerDutyEvent event = EventFixtures.event("incident.triggered.json");
        assertThat(event.root().has("event")).isTrue();
        assertThat(event.event().get("id").asText()).isEqualTo("01HXTRIG0000000000000001");
        assertThat(event.metadata().incidentId()).isEqualTo("Q2ZK8INC77");
        assertThat(event.isPing()).isFalse();
        assertThat(event.partitionKey()).contains("Q2ZK8INC77");
        assertThat(event.toString()).contains("01HXTRIG0000000000000001").doesNotContain("Checkout");
    }

    @Test
    void recognisesPingAndGivesItNoPartitionKey() {
        PagerDutyEvent ping = EventFixtures.event("pagey.ping.json");
        assertThat(ping.isPing()).isTrue();
        assertThat(ping.partitionKey()).isEmpty();
        assertThat(ping.metadata().incidentId()).isNull();
        assertThat(ping.metadata().serviceId()).isNull();
    }

    @Test
    void toleratesNullsAndUnknownFieldsEverywhere() {
        PagerDutyEvent event = EventFixtures.event("incident.resolved.sparse.json");
        assertThat(event.metadata().incidentId()).isEqualTo("Q2ZK8INC78");
        assertThat(event.metadata().priority()).isNull();
        assertThat(event.partitionKey()).contains("Q2ZK8INC78");
    }

    @Test
    void acceptsAMinimalEventAndUnicode() throws Exception {
        PagerDutyEvent event = PagerDutyEvent.parse(
                "{\"event\":{\"id\":\"e-1\",\"event_type\":\"incident.future_thing\",\"data\":{\"type\":\"incident\",\"id\":\"Q1\",\"title\":\"Störung 🔥 überall\"}}}"
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(event.metadata().eventType()).isEqualTo("incident.future_thing");
        assertThat(event.metadata().title()).isEqualTo("Störung 🔥 überall");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "not_json           | ''",
            "not_json           | '   '",
            "not_json           | {\"event\":",
            "not_json           | <html>secret-token-123</html>",
            "not_json           | '{\"event\":{\"id\":\"e\",\"event_type\":\"t\"}} trailing'",
            "duplicate_key      | '{\"event\":{\"id\":\"a\",\"id\":\"b\",\"event_type\":\"t\"}}'",
            "not_an_object      | '[{\"event\":{}}]'",
            "not_an_object      | '\"event\"'",
            "not_an_object      | 'null'",
            "missing_event      | '{}'",
            "missing_event      | '{\"event\":null}'",
            "missing_event      | '{\"event\":[]}'",
            "missing_event_id   | '{\"event\":{\"event_type\":\"incident.triggered\"}}'",
            "missing_event_id   | '{\"event\":{\"id\":\"  \",\"event_type\":\"incident.triggered\"}}'",
            "missing_event_id   | '{\"event\":{\"id\":42,\"event_type\":\"incident.triggered\"}}'",
            "missing_event_type | '{\"event\":{\"id\":\"e-1\"}}'",
            "missing_event_type | '{\"event\":{\"id\":\"e-1\",\"event_type\":null}}'",
            "missing_event_type | '{\"event\":{\"id\":\"e-1\",\"event_type\":\"\"}}'",
    })
    void rejectsInvalidBodiesWithAReasonCode(String reason, String body) {
        InvalidEventException e = catchThrowableOfType(InvalidEventException.class,
                () -> PagerDutyEvent.parse(body.getBytes(StandardCharsets.UTF_8)));
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.detail()).isNotBlank().doesNotContain("secret-token-123");
        assertThat(e.getMessage()).startsWith(reason + ": ");
    }

    @Test
    void rejectsTooDeepNestingAsTooLarge() {
        String deep = "{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"data\":"
                + "[".repeat(Json.MAX_NESTING_DEPTH + 5) + "]".repeat(Json.MAX_NESTING_DEPTH + 5) + "}}";
        InvalidEventException e = catchThrowableOfType(InvalidEventException.class,
                () -> PagerDutyEvent.parse(deep.getBytes(StandardCharsets.UTF_8)));
        assertThat(e.reason()).isEqualTo("too_large");
    }

    @Test
    void rejectsOverlongNumberAsTooLarge() {
        String body = "{\"event\":{\"id\":\"e\",\"event_type\":\"t\",\"n\":"
                + "9".repeat(Json.MAX_NUMBER_LENGTH + 1) + "}}";
        InvalidEventException e = catchThrowableOfType(InvalidEventException.class,
                () -> PagerDutyEvent.parse(body.getBytes(StandardCharsets.UTF_8)));
        assertThat(e.reason()).isEqualTo("too_large");
    }

    @Test
    void rejectsInvalidUtf8AsNotJson() {
        byte[] body = {'{', '"', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        InvalidEventException e = catchThrowableOfType(InvalidEventException.class, () -> PagerDutyEvent.parse(body));
        assertThat(e.reason()).isEqualTo("not_json");
    }

    @Test
    void rejectsNullBodyByName() {
        assertThatThrownBy(() -> PagerDutyEvent.parse(null))
                .isInstanceOf(NullPointerException.class).hasMessage("body");
    }
}
