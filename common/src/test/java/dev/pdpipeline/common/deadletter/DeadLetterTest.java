package dev.pdpipeline.common.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.common.kafka.PipelineHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class DeadLetterTest {

    @Test
    void readsReasonDetailSourceAndTimeFromTheDeadLetterHeaders() {
        DeadLetter entry = DeadLetter.of(DeadLetterTopic.RESULTS, record("Q1KEY", "{}", true));

        assertThat(entry.id()).isEqualTo("agent.results.dlq/2/41");
        assertThat(entry.reason()).isEqualTo("pagerduty_rejected");
        assertThat(entry.detail()).isEqualTo("HTTP 404");
        assertThat(entry.sourceTopic()).isEqualTo("agent.results");
        assertThat(entry.sourcePartition()).isEqualTo(2);
        assertThat(entry.sourceOffset()).isEqualTo(7L);
        assertThat(entry.time()).isEqualTo(Instant.parse("2026-12-01T10:00:00Z"));
        assertThat(entry.incident()).isEqualTo("Q1KEY");
        assertThat(entry.summaryJson().path("source").path("offset").asLong()).isEqualTo(7);
    }

    @Test
    void theIncidentComesFromTheValueWhenTheRecordHasNoKey() {
        assertThat(DeadLetter.of(DeadLetterTopic.RESULTS, record(null, "{\"incident_id\":\"Q1RES\"}", true)).incident())
                .isEqualTo("Q1RES");
        assertThat(DeadLetter.of(DeadLetterTopic.RAW, record(null,
                "{\"event\":{\"data\":{\"type\":\"incident\",\"id\":\"Q1RAW\"}}}", true)).incident()).isEqualTo("Q1RAW");
        assertThat(DeadLetter.of(DeadLetterTopic.RAW, record(null, "not json", true)).incident()).isNull();
    }

    @Test
    void withoutHeadersTheRecordTimestampIsTheTimeAndTheSourceIsUnknown() {
        DeadLetter entry = DeadLetter.of(DeadLetterTopic.RAW, record("Q1", "x", false));

        assertThat(entry.time()).isEqualTo(Instant.ofEpochMilli(1_000));
        assertThat(entry.reason()).isNull();
        assertThat(entry.sourceOffset()).isNull();
        assertThat(entry.fullJson().path("value").asText()).isEqualTo("x");
    }

    @Test
    void theFilterMatchesReasonIncidentAndTimeTogether() {
        DeadLetter entry = DeadLetter.of(DeadLetterTopic.RESULTS, record("Q1KEY", "{}", true));

        assertThat(DeadLetterFilter.ALL.test(entry)).isTrue();
        assertThat(new DeadLetterFilter("pagerduty_rejected", "Q1KEY", Instant.parse("2026-12-01T09:00:00Z")).test(entry))
                .isTrue();
        assertThat(new DeadLetterFilter("invalid_json", null, null).test(entry)).isFalse();
        assertThat(new DeadLetterFilter(null, "Q2OTHER", null).test(entry)).isFalse();
        assertThat(new DeadLetterFilter(null, null, Instant.parse("2026-12-01T10:00:01Z")).test(entry)).isFalse();
    }

    @Test
    void topicLabelsAreRawAndResults() {
        assertThat(DeadLetterTopic.parse("RAW")).isEqualTo(DeadLetterTopic.RAW);
        assertThat(DeadLetterTopic.parse("results").label()).isEqualTo("results");
        assertThatThrownBy(() -> DeadLetterTopic.parse("both")).hasMessageContaining("raw or results");
    }

    private static ConsumerRecord<byte[], byte[]> record(String key, String value, boolean withHeaders) {
        RecordHeaders headers = new RecordHeaders();
        if (withHeaders) {
            headers.add(PipelineHeaders.DLQ_REASON, bytes("pagerduty_rejected"));
            headers.add(PipelineHeaders.DLQ_DETAIL, bytes("HTTP 404"));
            headers.add(PipelineHeaders.DLQ_SOURCE_TOPIC, bytes("agent.results"));
            headers.add(PipelineHeaders.DLQ_SOURCE_PARTITION, bytes("2"));
            headers.add(PipelineHeaders.DLQ_SOURCE_OFFSET, bytes("7"));
            headers.add(PipelineHeaders.DLQ_AT, bytes("2026-12-01T10:00:00Z"));
        }
        String topic = withHeaders ? "agent.results.dlq" : "pagerduty.webhooks.dlq";
        return new ConsumerRecord<>(topic, 2, 41, 1_000, TimestampType.CREATE_TIME, -1, -1,
                key == null ? null : bytes(key), bytes(value), headers, Optional.empty());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
