package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.health.Health;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * on its own thread and keeps tailing it; hands each poll's records to a sink (one store batch). "Restored" once it has
 * reached the end offsets it found at start; {@link #caughtUp()} does the same for the end
 * offsets of a later moment (a notes partition's new owner waits for it before writing). A
 * thread ended by an exception (the sink's included: a store that cannot be written) marks its
 * health part failed: a reader that stopped leaves its store stale, which must stop the process,
 * not go unnoticed.
 */
final class CompactedTopicReader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CompactedTopicReader.class);
    private static final long TOPIC_CHECK_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Bound of each blocking consumer call, so the loop keeps checking its topic. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    private final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Sink sink;
    private final CountDownLatch restored = new CountDownLatch(1);
    private final Thread thread;
    private final Health.Part health;
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> barrierRequests = new ConcurrentLinkedQueue<>();
    /** Barriers not reached yet; touched by the reader thread only. */
    private final List<Barrier> barriers = new ArrayList<>();
    private volatile boolean running = true;
    private volatile boolean stoppedReading;
    private volatile Throwable failure;

    /** Where the records go. */
    interface Sink {
        /**
         * Applies one poll's records (keys non-null, values null for tombstones), in offset order
         * per partition; skips unreadable values itself. Anything it throws stops the reader and
         * fails its health part.
         */
        void apply(List<ConsumerRecord<byte[], byte[]>> records);
    }

    /** The end offsets as of one request, and who waits for them. */
    private record Barrier(Map<TopicPartition, Long> end, List<CompletableFuture<Void>> waiting) {
    }

    /**
     * @param sink   gets each poll's keyed records
     * @param health the part this reader reports to (named after the thread)
     */
    CompactedTopicReader(String topic, Properties clientProps, String threadName, Sink sink, Health health) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.health = Objects.requireNonNull(health, "health").register(threadName);
        this.sink = Objects.requireNonNull(sink, "sink");
        Properties props = new Properties();
        props.putAll(clientProps);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // a deleted topic must show as deleted, not come back with the broker's defaults
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, threadName);
        // bigger polls, bigger store batches: the restore at start is what readiness waits for
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        this.consumer = new KafkaConsumer<>(props);
        this.thread = new Thread(this.health.guard(this::run, () -> running), threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Restored and still reading: a reader that stopped no longer counts as restored. */
    boolean isRestored() {
        return restored.getCount() == 0 && !stoppedReading;
    }

    /** Waits for the restore; false on timeout. */
    boolean awaitRestored(Duration timeout) throws InterruptedException {
        return restored.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Completes once this reader has read every partition up to its end offset as of now (at the
     * latest one poll later); exceptionally if the reader stops first.
     */
    CompletableFuture<Void> caughtUp() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        Throwable dead = failure;
        if (dead != null || !running) {
            f.completeExceptionally(new IllegalStateException("the reader of " + topic + " has stopped", dead));
            return f;
        }
        barrierRequests.add(f);
        if (stoppedReading) {
            failRequests(new IllegalStateException("the reader of " + topic + " has stopped", failure));
        }
        return f;
    }

    /**
     * Stops the reader because its store failed outside the reader thread (a lookup): the part
     * fails with {@code cause}, the reader no longer counts as restored.
     */
    void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
            log.error("The local copy of {} failed; the notes writer stops", topic, cause);
            health.failed(cause);
        }
        running = false;
        consumer.wakeup();
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
            long nextTopicCheck = System.nanoTime() + TOPIC_CHECK_NANOS;
            while (running) {
                if (System.nanoTime() - nextTopicCheck >= 0) {
                    checkTopic(partitions.size());
                    nextTopicCheck = System.nanoTime() + TOPIC_CHECK_NANOS;
                }
                if (!barrierRequests.isEmpty()) {
                    List<CompletableFuture<Void>> waiting = new ArrayList<>();
                    for (CompletableFuture<Void> f; (f = barrierRequests.poll()) != null; ) {
                        waiting.add(f);
                    }
                    try {
                        barriers.add(new Barrier(new HashMap<>(consumer.endOffsets(partitions, CALL_TIMEOUT)), waiting));
                    } catch (org.apache.kafka.common.errors.TimeoutException e) {
                        health.degraded("cannot read the end offsets of " + topic + ": " + e.getMessage());
                        barrierRequests.addAll(waiting); // asked again on the next round
                    }
                }
                List<ConsumerRecord<byte[], byte[]>> keyed = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() != null) {
                        keyed.add(record);
                    }
                    count++;
                }
                if (!keyed.isEmpty()) {
                    sink.apply(keyed);
                }
                if (restored.getCount() > 0) {
                    removeReached(end);
                    if (end.isEmpty()) {
                        log.info("Restored {} records of {} in {} ms", count, topic,
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                        restored.countDown();
                    }
                }
                for (Iterator<Barrier> it = barriers.iterator(); it.hasNext(); ) {
                    Barrier b = it.next();
                    removeReached(b.end());
                    if (b.end().isEmpty()) {
                        it.remove();
                        b.waiting().forEach(f -> f.complete(null));
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) {
                failure = e;
                health.failed(e);
            }
        } catch (RuntimeException e) {
            failure = e;
            log.error("Reading {} failed; the notes writer stops (its copy of {} would go stale)", topic, topic, e);
            health.failed(e);
        } finally {
            failAll(new IllegalStateException("the reader of " + topic + " has stopped", failure));
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Drops the partitions whose position reached their end offset; a slow broker only delays it. */
    private void removeReached(Map<TopicPartition, Long> end) {
        try {
            end.entrySet().removeIf(e -> consumer.position(e.getKey(), CALL_TIMEOUT) >= e.getValue());
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            health.degraded("cannot read the positions on " + topic + ": " + e.getMessage());
        }
    }

    /**
     * A deleted topic does not end a consumer's poll (it just finds nothing), so the reader looks
     * for its topic now and then: gone, or fewer partitions than at start, is fatal; a broker
     * that does not answer in time is only degraded.
     */
    private void checkTopic(int expectedPartitions) {
        List<PartitionInfo> now;
        try {
            now = consumer.partitionsFor(topic, CALL_TIMEOUT);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            health.degraded("cannot read the metadata of " + topic + ": " + e.getMessage());
            return;
        }
        if (now == null || now.size() < expectedPartitions) {
            throw new IllegalStateException("topic " + topic + " has " + (now == null ? 0 : now.size())
                    + " partitions, had " + expectedPartitions + " (deleted?)");
        }
        health.up();
    }

    private void failRequests(Throwable cause) {
        for (CompletableFuture<Void> f; (f = barrierRequests.poll()) != null; ) {
            f.completeExceptionally(cause);
        }
    }

    private void failAll(Throwable cause) {
        stoppedReading = true;
        failRequests(cause);
        barriers.forEach(b -> b.waiting().forEach(f -> f.completeExceptionally(cause)));
        barriers.clear();
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
