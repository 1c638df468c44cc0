package dev.pdpipeline.ingress.publish;

import dev.pdpipeline.common.kafka.TopicAdmin;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the answer to "can the ingress store deliveries now?".
 *
 * <p>At start it ensures the raw topic (creates it when missing, waits until every partition
 * answers), retrying in the background while Kafka is down, so that the ingress can start before
 * the brokers. Afterwards it re-checks the topic at a fixed interval: when Kafka goes away the
 * ingress turns unready (webhooks answer 503 at once instead of after the publish timeout) and
 * ready again when it comes back.
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
        long checkMs = Math.max(1_000, Math.min(5_000, interval.toMillis()));
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

    /** Whether Kafka answered and the raw topic was ready at the last check. */
    public boolean isReady() {
        return ready.get();
    }

    private void check() {
        try {
            if (!ensured) {
                topic = planner.apply(admin);
                TopicAdmin.ensureTopics(admin, List.of(topic), ENSURE_TIMEOUT);
                ensured = true;
                markReady(true, null);
            } else {
                markReady(TopicAdmin.isTopicReady(admin, topic.name(), checkTimeout), null);
            }
        } catch (RuntimeException e) {
            markReady(false, e);
        }
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
        String why = failure == null ? "partitions not answering" : failure.getMessage();
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
