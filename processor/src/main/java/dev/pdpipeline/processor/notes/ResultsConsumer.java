package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.health.Health;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notes consumer's thread: polls the results topic, hands each result to its incident's
 * queue, pauses while too many are unfinished, and commits per partition only below the lowest
 * unfinished result. Rebalances are {@link NotesRebalance}'s; applying a result is
 * {@link ResultProcessor}'s. Reports to the health part {@code notes-consumer}: a thread ended by
 * an exception fails it.
 */
final class ResultsConsumer {

    private static final Logger log = LoggerFactory.getLogger(ResultsConsumer.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long TOPIC_CHECK_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

    /** Where a polled result goes. */
    interface Dispatcher {
        void dispatch(ConsumerRecord<byte[], byte[]> record, PartitionProgress progress);
    }

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final Map<TopicPartition, PartitionProgress> progress = new ConcurrentHashMap<>();
    private final int maxPending;
    private final Health.Part health;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean assigned;
    private volatile boolean stopped;
    private boolean paused;
    private Dispatcher dispatcher;
    private NotesRebalance rebalance;
    private Restore restored = timeout -> true;

    /** Waits for the request log and the ledger to be restored; false on timeout. */
    interface Restore {
        boolean await(Duration timeout) throws InterruptedException;
    }

    ResultsConsumer(Consumer<byte[], byte[]> consumer, String topic, int maxPending, Health health) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.maxPending = maxPending;
        this.health = Objects.requireNonNull(health, "health").register("notes-consumer");
        this.thread = new Thread(this.health.guard(this::run, () -> running), "notes-consumer");
    }

    /** Starts polling once {@code restored} says the request log and the ledger are read. */
    void start(Dispatcher dispatcher, NotesRebalance rebalance, Restore restored) {
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.rebalance = Objects.requireNonNull(rebalance, "rebalance");
        this.restored = Objects.requireNonNull(restored, "restored");
        thread.start();
    }

    Consumer<byte[], byte[]> consumer() {
        return consumer;
    }

    Map<TopicPartition, PartitionProgress> progress() {
        return progress;
    }

    boolean isRunning() {
        return running;
    }

    boolean isAssigned() {
        return assigned;
    }

    void assigned() {
        assigned = true;
    }

    boolean isStopped() {
        return stopped;
    }

    boolean isPaused() {
        return paused;
    }

    /** Results read but not finished. */
    int backlog() {
        int n = 0;
        for (PartitionProgress p : progress.values()) {
            n += p.pendingCount();
        }
        return n;
    }

    private void run() {
        try {
            while (running && !restored.await(Duration.ofSeconds(1))) {
                log.debug("Waiting for the request log and the ledger to be restored");
            }
            if (!running) {
                return;
            }
            consumer.subscribe(List.of(topic), rebalance);
            long nextTopicCheck = System.nanoTime() + TOPIC_CHECK_NANOS;
            while (running) {
                if (System.nanoTime() - nextTopicCheck >= 0) {
                    checkTopic();
                    nextTopicCheck = System.nanoTime() + TOPIC_CHECK_NANOS;
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                    PartitionProgress p = progress.get(tp);
                    if (p == null) {
                        log.warn("Record {} of an unassigned partition; ignoring it", ResultDeadLetters.where(record));
                        continue;
                    }
                    p.add(record.offset());
                    dispatcher.dispatch(record, p);
                }
                flowControl();
                commit(false, progress.values());
            }
        } catch (WakeupException e) {
            if (running) {
                log.error("Notes consumer woken up unexpectedly", e);
                health.failed(e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("Notes consumer failed; agent results are no longer written (the process exits)", e);
            health.failed(e);
        } finally {
            stopped = true;
            try {
                List<PartitionProgress> all = new ArrayList<>(progress.values());
                all.forEach(PartitionProgress::revoke);
                rebalance.settle(all);
                commit(true, all);
            } catch (RuntimeException e) {
                log.warn("Final commit of the notes consumer failed: {}", e.toString());
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * A subscribed topic that is deleted just leaves the consumer with nothing assigned, which
     * would look like an idle writer; so the loop looks for it now and then and stops for good
     * when it is gone (a broker that does not answer in time is only degraded).
     */
    private void checkTopic() {
        List<org.apache.kafka.common.PartitionInfo> partitions;
        try {
            partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10));
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            health.degraded("cannot read the metadata of " + topic + ": " + e.getMessage());
            return;
        }
        if (partitions == null || partitions.isEmpty()) {
            throw new IllegalStateException("the results topic " + topic + " does not exist (deleted?)");
        }
        health.up();
    }

    /** Pauses fetching while too many results are unfinished, so memory stays bounded. */
    private void flowControl() {
        int n = backlog();
        if (!paused && n >= maxPending) {
            consumer.pause(consumer.assignment());
            paused = true;
            log.info("Pausing the results consumer: {} results unfinished", n);
        } else if (paused && n <= maxPending / 2) {
            consumer.resume(consumer.paused());
            paused = false;
            log.info("Resuming the results consumer: {} results unfinished", n);
        }
    }

    /** Commits what is committable for these partitions; on the consumer thread only. */
    void commit(boolean sync, Collection<PartitionProgress> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (PartitionProgress p : partitions) {
            OptionalLong c = p.committable();
            if (c.isPresent()) {
                offsets.put(p.partition, new OffsetAndMetadata(c.getAsLong()));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            consumer.commitSync(offsets);
            markCommitted(offsets);
        } else {
            consumer.commitAsync(offsets, (done, e) -> {
                if (e == null) {
                    markCommitted(done);
                } else {
                    log.debug("Committing notes offsets failed (retried on the next poll): {}", e.toString());
                }
            });
        }
    }

    private void markCommitted(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> {
            PartitionProgress p = progress.get(tp);
            if (p != null) {
                p.committed(o.offset());
            }
        });
    }

    /** Stops polling; the thread settles in-flight writes (bounded), commits and closes the consumer. */
    void close(Duration join) {
        running = false;
        consumer.wakeup();
        try {
            thread.join(join.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
