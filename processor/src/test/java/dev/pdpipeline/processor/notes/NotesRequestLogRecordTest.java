package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class NotesRequestLogRecordTest {

    @Test
    void toJsonWritesTheDocumentedFieldsAndParsesBack() throws Exception {
        byte[] value = RequestLogRecord.toJson("req1", "trig", "agent-a", "P1", "ev1", true, false,
                Instant.parse("2025-01-02T03:04:05Z"));

        JsonNode json = Json.mapper().readTree(value);
        assertThat(json.fieldNames()).toIterable().containsExactly("request_id", "trigger", "agent", "incident_id",
                "event_id", "replay", "write_back", "routed_at");
        RequestLogRecord r = RequestLogRecord.parse(value);
        assertThat(r).isEqualTo(new RequestLogRecord("req1", "trig", "agent-a", "P1", "ev1", true, false,
                "2025-01-02T03:04:05Z"));
        assertThat(RequestLogRecord.key("req1")).isEqualTo("req1".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void writeBackDefaultsToNotReplay() {
        RequestLogRecord r = RequestLogRecord.parse("{\"request_id\":\"r\",\"trigger\":\"t\",\"agent\":\"a\",\"replay\":true}"
                .getBytes(StandardCharsets.UTF_8));

        assertThat(r.writeBack()).isFalse();
    }

    @Test
    void rejectsRecordsWithoutTrigger() {
        assertThatThrownBy(() -> RequestLogRecord.parse("{\"request_id\":\"r\",\"agent\":\"a\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trigger");
    }
}
