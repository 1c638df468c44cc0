package dev.pdpipeline.ingress.publish;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One idempotent producer per raw-topic partition (up to {@link #MAX_PRODUCERS}), so that a
 * broker fault on some partitions cannot stall the others. With a single producer, a batch that
 * expires on a partition whose leader died makes the idempotent producer bump its epoch and
 * re-sequence every partition, and deliveries to healthy partitions waited seconds for it
 * ({@code IngressPartialBrokerLossIT} measured 5.8 s without any 202). Each producer here only
 * ever writes its own partitions.
 *
 * <p>The partition is the one Kafka's default partitioner picks (murmur2 of the key), so every
 * event of an incident still lands on one partition, the same as before. Deliveries without a key
 * go round-robin to the partitions that can take writes now.
 */
public final class PartitionedPublisher implements WebhookPublisher, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionedPublisher.class);
    /** Beyond this many partitions, producers are shared (partition modulo this). */
    static final int MAX_PRODUCERS = 32;

    private final IntFunction<KafkaWebhookPublisher> factory;
    private final IntSupplier partitions;
    private final IntFunction<Boolean> writable;
    private final List<KafkaWebhookPublisher> producers = new ArrayList<>();
    /** What {@link #producers} held when it last grew: read per delivery without taking the lock. */
    private volatile KafkaWebhookPublisher[] snapshot = new KafkaWebhookPublisher[0];
    private final AtomicInteger roundRobin = new AtomicInteger();
    private volatile java.util.function.Consumer<Throwable> onFatal = e -> { };

    /**
     * @param factory    creates the producer for slot {@code i}
     * @param partitions the raw topic's partition count as last seen (0 = not known yet)
     * @param writable   whether a partition could take writes at the last check
     */
    PartitionedPublisher(IntFunction<KafkaWebhookPublisher> factory, IntSupplier partitions,
            IntFunction<Boolean> writable) {
        this.factory = Objects.requireNonNull(factory, "factory");
        this.partitions = Objects.requireNonNull(partitions, "partitions");
        this.writable = Objects.requireNonNull(writable, "writable");
    }

    /** Producers as {@link KafkaWebhookPublisher#create} makes them, client ids suffixed by slot. */
    public static PartitionedPublisher create(Properties passThrough, String topic, Duration publishTimeout,
            long maxBodyBytes, RawTopicMonitor monitor) {
        String clientId = passThrough.getProperty(ProducerConfig.CLIENT_ID_CONFIG, "pdpipeline-ingress");
        return new PartitionedPublisher(slot -> {
            Properties props = new Properties();
            props.putAll(passThrough);
            props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-" + slot);
            return KafkaWebhookPublisher.create(props, topic, publishTimeout, maxBodyBytes);
        }, monitor::partitionCount, monitor::isWritable);
    }

    @Override
    public CompletableFuture<PublishReceipt> publish(RawDelivery delivery) {
        int count = partitions.getAsInt();
        if (count <= 0) {
            return producer(0).publish(delivery); // not known yet: the producer's own partitioner decides
        }
        int partition = delivery.key() == null ? nextWritable(count)
                : BuiltInPartitioner.partitionForKey(delivery.key().getBytes(StandardCharsets.UTF_8), count);
        KafkaWebhookPublisher[] ready = snapshot;
        int needed = Math.min(count, MAX_PRODUCERS);
        if (ready.length < needed) {
            // all at once, as soon as the partition count is known, so that later deliveries never wait for a new producer
            producer(needed - 1);
            ready = snapshot;
        }
        return ready[partition % MAX_PRODUCERS].publish(delivery, partition);
    }

    private int nextWritable(int count) {
        int start = Math.floorMod(roundRobin.getAndIncrement(), count);
        for (int i = 0; i < count; i++) {
            int candidate = (start + i) % count;
            if (writable.apply(candidate)) {
                return candidate;
            }
        }
        return start;
    }

    private synchronized KafkaWebhookPublisher producer(int slot) {
        if (producers.size() <= slot) {
            while (producers.size() <= slot) {
                KafkaWebhookPublisher created = factory.apply(producers.size());
                created.onFatal(e -> onFatal.accept(e));
                producers.add(created);
            }
            snapshot = producers.toArray(new KafkaWebhookPublisher[0]);
        }
        return producers.get(slot);
    }

    /**
     * Called when any partition's producer fails for good (fenced, unauthorised, closed): the
     * ingress can then no longer publish everything it is sent, so the process must say so.
     */
    public void onFatal(java.util.function.Consumer<Throwable> listener) {
        this.onFatal = Objects.requireNonNull(listener, "listener");
    }

    /** Flushes and closes every producer, each bounded by {@code timeout}. */
    public synchronized void close(Duration timeout) {
        for (KafkaWebhookPublisher producer : producers) {
            try {
                producer.close(timeout);
            } catch (RuntimeException e) {
                LOG.warn("Closing a Kafka producer failed: {}", e.toString());
            }
        }
        producers.clear();
        snapshot = new KafkaWebhookPublisher[0];
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
