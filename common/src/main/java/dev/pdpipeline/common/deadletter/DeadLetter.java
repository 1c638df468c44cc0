package dev.pdpipeline.common.deadletter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.event.IncidentLocator;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One entry of a dead-letter topic: where it is, why it is there ({@code pdpipeline-dlq-*}
 * headers), the incident it concerns, and the original record (key, value, other headers).
 *
 * @param time     when it was dead-lettered ({@code pdpipeline-dlq-at}, else the record timestamp)
 * @param incident the record key (the incident id), else the incident named in the value; may be null
 */
public record DeadLetter(DeadLetterTopic kind, String topic, int partition, long offset, Instant time,
        String reason, String detail, String incident, String sourceTopic, Integer sourcePartition,
        Long sourceOffset, byte[] key, byte[] value, List<Header> headers) {

    /** Longest detail shown in listings (the full text is in {@code show}). */
    public static final int LIST_DETAIL_CHARS = 200;

    public DeadLetter {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(topic, "topic");
        headers = List.copyOf(headers);
    }

    /** The entry's id, also its key on the re-drive topic: {@code topic/partition/offset}. */
    public String id() {
        return id(topic, partition, offset);
    }

    public static String id(String topic, int partition, long offset) {
        return topic + "/" + partition + "/" + offset;
    }

    static DeadLetter of(DeadLetterTopic kind, ConsumerRecord<byte[], byte[]> record) {
        String at = PipelineHeaders.text(record.headers(), PipelineHeaders.DLQ_AT);
        Instant time = Instant.ofEpochMilli(record.timestamp());
        if (at != null) {
            try {
                time = Instant.parse(at);
            } catch (DateTimeParseException e) {
                // keep the record timestamp
            }
        }
        return new DeadLetter(kind, record.topic(), record.partition(), record.offset(), time,
                PipelineHeaders.text(record.headers(), PipelineHeaders.DLQ_REASON),
                PipelineHeaders.text(record.headers(), PipelineHeaders.DLQ_DETAIL),
                incidentOf(kind, record.key(), record.value()),
                PipelineHeaders.text(record.headers(), PipelineHeaders.DLQ_SOURCE_TOPIC),
                sourcePartition(PipelineHeaders.text(record.headers(), PipelineHeaders.DLQ_SOURCE_PARTITION)),
                sourceOffset(PipelineHeaders.text(record.headers(), PipelineHeaders.DLQ_SOURCE_OFFSET)),
                record.key(), record.value(), List.of(record.headers().toArray()));
    }

    private static String incidentOf(DeadLetterTopic kind, byte[] key, byte[] value) {
        if (key != null && key.length > 0) {
            return new String(key, StandardCharsets.UTF_8);
        }
        if (value == null) {
            return null;
        }
        try {
            JsonNode json = Json.mapper().readTree(value);
            if (json == null) {
                return null;
            }
            if (kind == DeadLetterTopic.RESULTS) {
                return json.path("incident_id").isTextual() ? json.path("incident_id").asText() : null;
            }
            return IncidentLocator.incidentId(json.path("event")).orElse(null);
        } catch (Exception e) {
            return null; // not JSON: the reason says so
        }
    }

    /** A summary line's fields: no value, the detail cut to {@value #LIST_DETAIL_CHARS} characters. */
    public ObjectNode summaryJson() {
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("id", id());
        json.put("dlq", kind.label());
        json.put("topic", topic);
        json.put("partition", partition);
        json.put("offset", offset);
        json.put("time", time.toString());
        json.put("reason", reason);
        json.put("detail", detail == null || detail.length() <= LIST_DETAIL_CHARS ? detail
                : detail.substring(0, LIST_DETAIL_CHARS) + "…");
        json.put("incident", incident);
        ObjectNode source = json.putObject("source");
        source.put("topic", sourceTopic);
        if (sourcePartition == null) {
            source.putNull("partition");
        } else {
            source.put("partition", sourcePartition);
        }
        if (sourceOffset == null) {
            source.putNull("offset");
        } else {
            source.put("offset", sourceOffset);
        }
        return json;
    }

    /**
     * Everything, for {@code show}: the full detail, the headers and the value (as JSON when it is
     * JSON, else as text). Dead letters hold what the pipeline received, never a secret: the
     * ingress keeps only secret fingerprints.
     */
    public ObjectNode fullJson() {
        ObjectNode json = summaryJson();
        json.put("detail", detail);
        json.put("key", key == null ? null : new String(key, StandardCharsets.UTF_8));
        ObjectNode headerJson = json.putObject("headers");
        for (Header h : headers) {
            headerJson.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        if (value == null) {
            json.putNull("value");
        } else {
            try {
                JsonNode parsed = Json.mapper().readTree(value);
                json.set("value", parsed == null ? Json.mapper().getNodeFactory().textNode("") : parsed);
            } catch (Exception e) {
                json.put("value", new String(value, StandardCharsets.UTF_8));
            }
        }
        return json;
    }

    /** A {@code pdpipeline-dlq-source-partition} header's value; null when absent or not a number. */
    public static Integer sourcePartition(String s) {
        try {
            return s == null ? null : Integer.valueOf(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A {@code pdpipeline-dlq-source-offset} header's value; null when absent or not a number. */
    public static Long sourceOffset(String s) {
        try {
            return s == null ? null : Long.valueOf(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
