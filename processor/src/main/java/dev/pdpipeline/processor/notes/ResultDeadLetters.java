package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.kafka.PipelineHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes results that cannot be written to PagerDuty to the results dead-letter topic: the
 * original key, value and headers, plus the {@code pdpipeline-dlq-*} headers saying why and from
 * where. Re-publishing the value to the results topic re-drives it (docs/notes.md).
 */
final class ResultDeadLetters implements AutoCloseable, ResultProcessor.DeadLetters {

    private static final Logger log = LoggerFactory.getLogger(ResultDeadLetters.class);
    /** Longest detail header kept. */
    static final int MAX_DETAIL_CHARS = 4_000;
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final NotesMetrics metrics;

    ResultDeadLetters(String topic, Properties clientProps, NotesMetrics metrics) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        Properties props = new Properties();
        props.putAll(clientProps);
        props.remove("group.id");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "notes-dlq-producer");
        this.producer = new KafkaProducer<>(props);
    }

    /**
     * Dead-letters {@code record} and waits for the broker's acknowledgement.
     *
     * @param detail must already be free of secrets
     * @throws IllegalStateException when the write failed; the record stays unfinished
     */
    @Override
    public void send(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason, String detail) {
        RecordHeaders headers = new RecordHeaders();
        for (Header h : record.headers()) {
            if (!h.key().startsWith("pdpipeline-dlq-")) {
                headers.add(h.key(), h.value());
            }
        }
        String shortDetail = detail == null ? "" : detail.length() > MAX_DETAIL_CHARS
                ? detail.substring(0, MAX_DETAIL_CHARS) + "…" : detail;
        headers.add(PipelineHeaders.DLQ_REASON, utf8(reason.code()));
        headers.add(PipelineHeaders.DLQ_DETAIL, utf8(shortDetail));
        headers.add(PipelineHeaders.DLQ_SOURCE_TOPIC, utf8(record.topic()));
        headers.add(PipelineHeaders.DLQ_SOURCE_PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(PipelineHeaders.DLQ_SOURCE_OFFSET, utf8(Long.toString(record.offset())));
        headers.add(PipelineHeaders.DLQ_AT, utf8(Instant.now().toString()));
        try {
            producer.send(new ProducerRecord<>(topic, null, record.key(), record.value(), headers))
                    .get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while dead-lettering " + where(record), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot dead-letter " + where(record) + " to " + topic + ": "
                    + (e instanceof ExecutionException ? e.getCause() : e), e);
        }
        metrics.deadLetter(reason);
        log.warn("Dead-lettered result {} to {}: {} ({})", where(record), topic, reason.code(), shortDetail);
    }

    static String where(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
