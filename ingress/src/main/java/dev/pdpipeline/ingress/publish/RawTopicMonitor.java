package dev.pdpipeline.ingress.publish;

import dev.pdpipeline.common.kafka.TopicAdmin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the answer to "can the ingress store deliveries now?".
 *
 * <p>At start it ensures the raw topic (creates it when missing, waits until every partition
 * answers), retrying in the background while Kafka is down, so that the ingress can start before
 * the brokers. Afterwards it re-checks the topic at a fixed interval.
 *
 * <p>Readiness is per partition, because losing one broker must not stop every delivery: a
 * partition can take writes when it has a leader, at least {@code min.insync.replicas} replicas
 * in sync, and answers {@code listOffsets}. The ingress is ready while <b>any</b> partition can
 * take writes; deliveries keyed to the others wait in the producer for a new leader, bounded by
 * the publish timeout, then get 503. Only when no partition can take writes (Kafka gone, or too
 * few brokers for {@code acks=all}) does the ingress turn unready, so webhooks answer 503 at once
 * instead of after the publish timeout.
 */
public final class RawTopicMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RawTopicMonitor.class);
    /** Longest a topic creation attempt may take. */
    static final Duration ENSURE_TIMEOUT = Duration.ofSeconds(15);

    private final Admin admin;
    private final java.util.function.Function<Admin, NewTopic> planner;
    private volatile NewTopic topic;
    private final Duration interval;
    private final Duration checkTimeout;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean ready = new AtomicBoolean();
    private volatile boolean ensured;
    private volatile int failuresInARow;
    /** Partitions that could not take writes at the last check; -1 before the first one. */
    private volatile int unavailable = -1;
    private volatile List<Integer> lastUnavailable = List.of();
    private volatile int knownPartitions;
    private int unansweredInARow;
    private int minIsr = 1;
    private long minIsrReadAt = Long.MIN_VALUE;

    /**
     * @param admin    client for the checks; closed by {@link #close()}
     * @param topic    the raw topic as it should be created
     * @param interval time between checks (and between creation attempts while Kafka is down)
     */
    public RawTopicMonitor(Admin admin, NewTopic topic, Duration interval) {
        this(admin, topic, a -> topic, interval);
    }

    /**
     * @param planner the raw topic as it should be created, decided once Kafka answers (the topic
     *                plan's replication depends on the number of brokers)
     */
    public RawTopicMonitor(Admin admin, NewTopic provisional, java.util.function.Function<Admin, NewTopic> planner,
            Duration interval) {
        this.admin = Objects.requireNonNull(admin, "admin");
        this.topic = Objects.requireNonNull(provisional, "provisional");
        this.planner = Objects.requireNonNull(planner, "planner");
        this.interval = Objects.requireNonNull(interval, "interval");
        long checkMs = Math.max(2_000, Math.min(5_000, interval.toMillis()));
        this.checkTimeout = Duration.ofMillis(checkMs);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ingress-kafka-readiness");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts checking in the background; returns at once. */
    public void start() {
        scheduler.scheduleWithFixedDelay(this::check, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether Kafka answered and at least one raw-topic partition could take writes at the last check. */
    public boolean isReady() {
        return ready.get();
    }

    /** The raw topic's partition count at the last answered check; 0 before the first one. */
    public int partitionCount() {
        return knownPartitions;
    }

    /** Whether {@code partition} could take writes at the last check. */
    public boolean isWritable(int partition) {
        return ready.get() && !lastUnavailable.contains(partition);
    }

    /** Raw-topic partitions that could not take writes at the last check (all of them while Kafka is away). */
    public int unavailablePartitions() {
        int n = unavailable;
        return n < 0 ? Math.max(topic.numPartitions(), 0) : n;
    }

    private void check() {
        try {
            if (!ensured) {
                topic = planner.apply(admin);
                TopicAdmin.ensureTopics(admin, List.of(topic), ENSURE_TIMEOUT);
                ensured = true;
            }
            PartitionCheck result = checkPartitions(System.nanoTime() + checkTimeout.toNanos());
            reportPartitions(result);
            unansweredInARow = 0;
            markReady(!result.writable().isEmpty(), null);
        } catch (RuntimeException e) {
            // one check without an answer (a busy broker or JVM) is not an outage: two in a row are
            if (ready.get() && ++unansweredInARow < 2) {
                LOG.debug("Readiness check of {} got no answer in time: {}", topic.name(), e.toString());
                return;
            }
            unavailable = knownPartitions > 0 ? knownPartitions : Math.max(topic.numPartitions(), 0);
            markReady(false, e);
        }
    }

    /** Which partitions can take writes: leader, enough in-sync replicas, and the leader answers listOffsets. */
    private record PartitionCheck(List<Integer> writable, List<Integer> unavailable) {
    }

    private PartitionCheck checkPartitions(long deadline) {
        String name = topic.name();
        try {
            TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
                    .get(remainingMs(deadline), TimeUnit.MILLISECONDS).get(name);
            int required = minInsyncReplicas(deadline);
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            List<Integer> unavailablePartitions = new ArrayList<>();
            for (TopicPartitionInfo p : description.partitions()) {
                boolean leader = p.leader() != null && !p.leader().isEmpty();
                if (leader && p.isr().size() >= required) {
                    request.put(new TopicPartition(name, p.partition()), OffsetSpec.latest());
                } else {
                    unavailablePartitions.add(p.partition());
                }
            }
            List<Integer> writable = new ArrayList<>();
            if (!request.isEmpty()) {
                ListOffsetsResult offsets = admin.listOffsets(request);
                for (TopicPartition tp : request.keySet()) {
                    try {
                        offsets.partitionResult(tp).get(remainingMs(deadline), TimeUnit.MILLISECONDS);
                        writable.add(tp.partition());
                    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                        unavailablePartitions.add(tp.partition()); // e.g. a leader that died and is not fenced yet
                    }
                }
            }
            Collections.sort(writable);
            Collections.sort(unavailablePartitions);
            return new PartitionCheck(writable, unavailablePartitions);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking " + name, e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot describe " + name + ": "
                    + (e instanceof ExecutionException ? e.getCause() : e), e);
        }
    }

    /**
     * The topic's {@code min.insync.replicas}, re-read every 30 s (1 when it was never read: then
     * the leader alone decides).
     */
    private int minInsyncReplicas(long deadline) {
        if (System.nanoTime() - minIsrReadAt < TimeUnit.SECONDS.toNanos(30)) {
            return minIsr;
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
        try {
            Config config = admin.describeConfigs(List.of(resource)).all()
                    .get(remainingMs(deadline), TimeUnit.MILLISECONDS).get(resource);
            ConfigEntry entry = config == null ? null : config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
            minIsr = entry == null || entry.value() == null ? 1 : Integer.parseInt(entry.value());
            minIsrReadAt = System.nanoTime();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException | NumberFormatException e) {
            LOG.debug("Could not read min.insync.replicas of {}: {}", topic.name(), e.toString());
        }
        return minIsr;
    }

    private void reportPartitions(PartitionCheck result) {
        List<Integer> before = lastUnavailable;
        unavailable = result.unavailable().size();
        knownPartitions = result.unavailable().size() + result.writable().size();
        lastUnavailable = List.copyOf(result.unavailable());
        if (result.unavailable().equals(before) || result.writable().isEmpty()) {
            return;
        }
        if (result.unavailable().isEmpty()) {
            LOG.info("Every partition of raw topic {} takes writes again", topic.name());
        } else {
            LOG.warn("Raw topic {}: partitions {} cannot take writes (no leader, or fewer in-sync replicas than "
                    + "min.insync.replicas); deliveries keyed to them wait up to the publish timeout, then get 503; "
                    + "deliveries for partitions {} are accepted as usual", topic.name(), result.unavailable(),
                    result.writable());
        }
    }

    private static long remainingMs(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private void markReady(boolean now, RuntimeException failure) {
        boolean before = ready.getAndSet(now);
        if (now) {
            failuresInARow = 0;
            if (!before) {
                LOG.info("Kafka reachable and raw topic {} ready: accepting webhooks", topic.name());
            }
            return;
        }
        int failures = ++failuresInARow;
        String why = failure == null ? "no partition can take writes (no leader, or fewer in-sync replicas than "
                + "min.insync.replicas)" : failure.getMessage();
        if (before) {
            LOG.warn("Raw topic {} no longer ready ({}): answering 503 until Kafka is back", topic.name(), why);
        } else if (failures == 1 || failures % 12 == 0) {
            LOG.warn("Kafka or raw topic {} not ready yet ({}); retrying every {} ms", topic.name(), why,
                    interval.toMillis());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(checkTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS)) {
                LOG.warn("Readiness checker did not stop in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(2));
        ready.set(false);
    }
}
