package dev.pdpipeline.processor.notes;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a compacted topic from the beginning (read_committed, all partitions, no consumer group)
 * on its own thread and keeps tailing it; hands every record to a callback. "Restored" once it has
 * reached the end offsets it found at start.
 */
final class CompactedTopicReader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CompactedTopicReader.class);

    private final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final BiConsumer<String, byte[]> onRecord;
    private final CountDownLatch restored = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    /** @param onRecord called with the key (UTF-8) and the value (null for a tombstone) */
    CompactedTopicReader(String topic, Properties clientProps, String threadName, BiConsumer<String, byte[]> onRecord) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.onRecord = Objects.requireNonNull(onRecord, "onRecord");
        Properties props = new Properties();
        props.putAll(clientProps);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, threadName);
        this.consumer = new KafkaConsumer<>(props);
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    boolean isRestored() {
        return restored.getCount() == 0;
    }

    /** Waits for the restore; false on timeout. */
    boolean awaitRestored(Duration timeout) throws InterruptedException {
        return restored.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Set when the reader thread died. */
    Throwable failure() {
        return failure;
    }

    private void run() {
        try {
            List<PartitionInfo> infos = null;
            while (running && (infos == null || infos.isEmpty())) {
                infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            }
            if (!running) {
                return;
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
            long count = 0;
            long started = System.nanoTime();
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    String key = record.key() == null ? null : new String(record.key(), java.nio.charset.StandardCharsets.UTF_8);
                    if (key != null) {
                        try {
                            onRecord.accept(key, record.value());
                        } catch (RuntimeException e) {
                            log.warn("Skipping unreadable record {}-{}@{}: {}", record.topic(), record.partition(),
                                    record.offset(), e.getMessage());
                        }
                    }
                    count++;
                }
                if (restored.getCount() > 0) {
                    end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
                    if (end.isEmpty()) {
                        log.info("Restored {} records of {} in {} ms", count, topic,
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                        restored.countDown();
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) {
                failure = e;
            }
        } catch (RuntimeException e) {
            failure = e;
            log.error("Reading {} failed; the notes writer is not ready", topic, e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
