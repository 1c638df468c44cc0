package dev.pdpipeline.launcher.console;

import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.console.action.ActionException;
import dev.pdpipeline.console.action.RedriveAction;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The console's re-drive button, minimal: reads the dead letter at its offset and publishes its
 * key, value and headers (without the {@code pdpipeline-dlq-*} ones) to the topic it came from
 * ({@code pdpipeline-dlq-source-topic}; the raw or results topic when the header is missing),
 * acks=all. It does not remember what was re-driven: pressing twice publishes twice (the
 * processor's dedup and the results ledger make that harmless).
 */
public final class DeadLetterRepublisher implements RedriveAction {

    private static final String DLQ_HEADER_PREFIX = "pdpipeline-dlq-";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Properties kafka;
    private final TopicCatalogue topics;

    public DeadLetterRepublisher(Properties kafka, TopicCatalogue topics) {
        this.kafka = Objects.requireNonNull(kafka, "kafka");
        this.topics = Objects.requireNonNull(topics, "topics");
    }

    @Override
    public synchronized Result redrive(String topic, int partition, long offset) {
        ConsumerRecord<byte[], byte[]> record = read(topic, partition, offset);
        String target = PipelineHeaders.text(record.headers(), PipelineHeaders.DLQ_SOURCE_TOPIC);
        if (target == null) {
            target = topic.equals(topics.resultsDeadLetter()) ? topics.results() : topics.raw();
        }
        if (!target.equals(topics.raw()) && !target.equals(topics.results())) {
            throw new ActionException(400, "the dead letter came from '" + target + "', not from "
                    + topics.raw() + " or " + topics.results());
        }
        RecordHeaders headers = new RecordHeaders();
        for (Header h : record.headers()) {
            if (!h.key().startsWith(DLQ_HEADER_PREFIX)) {
                headers.add(h.key(), h.value());
            }
        }
        Properties props = new Properties();
        props.putAll(kafka);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "pdpipeline-console-redrive");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            RecordMetadata md = producer.send(new ProducerRecord<>(target, null, record.key(), record.value(), headers))
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return new Result(md.topic(), md.partition(), md.offset());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while re-driving", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot publish to " + target + ": " + e, e);
        }
    }

    private ConsumerRecord<byte[], byte[]> read(String topic, int partition, long offset) {
        Properties props = new Properties();
        props.putAll(kafka);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            TopicPartition tp = new TopicPartition(topic, partition);
            if (consumer.partitionsFor(topic, TIMEOUT).stream().noneMatch(p -> p.partition() == partition)) {
                throw new ActionException(404, "no partition " + partition + " in " + topic);
            }
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            if (offset < 0 || offset >= end) {
                throw new ActionException(404, "no dead letter at " + topic + "-" + partition + "@" + offset);
            }
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() == offset) {
                        return r;
                    }
                    if (r.offset() > offset) {
                        throw new ActionException(404, "no dead letter at " + topic + "-" + partition + "@" + offset
                                + " (expired or a transaction marker)");
                    }
                }
            }
            throw new ActionException(404, "could not read " + topic + "-" + partition + "@" + offset);
        }
    }
}
