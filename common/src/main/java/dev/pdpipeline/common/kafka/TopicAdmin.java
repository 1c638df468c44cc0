package dev.pdpipeline.common.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates topics and waits until they can really take records. Producing right after creating a
 * topic can lose the first batch even with idempotence (KAFKA-15591 / KAFKA-19880), so a topic
 * only counts as ready once every partition answers {@code listOffsets}.
 */
public final class TopicAdmin {

    private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);
    private static final long RETRY_PAUSE_MS = 50;

    private TopicAdmin() {
    }

    /**
     * Creates the missing topics (existing ones are left alone, whatever their settings), then
     * waits until every partition of every listed topic answers {@code Admin.listOffsets}.
     *
     * @throws IllegalStateException when creation fails or the topics are not ready within
     *                               {@code timeout}; the message names the topics
     */
    public static void ensureTopics(Admin admin, Collection<NewTopic> topics, Duration timeout) {
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(timeout, "timeout");
        if (topics.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, NewTopic> byName = new LinkedHashMap<>();
        for (NewTopic topic : topics) {
            Objects.requireNonNull(topic, "topic");
            byName.put(topic.name(), topic);
        }
        try {
            Set<String> existing = admin.listTopics().names().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (NewTopic topic : byName.values()) {
                if (!existing.contains(topic.name())) {
                    missing.add(topic);
                }
            }
            if (!missing.isEmpty()) {
                Map<String, KafkaFuture<Void>> results = admin.createTopics(missing,
                        new CreateTopicsOptions().timeoutMs((int) Math.min(Integer.MAX_VALUE, remainingMs(deadline))))
                        .values();
                for (Map.Entry<String, KafkaFuture<Void>> result : results.entrySet()) {
                    try {
                        result.getValue().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
                        log.info("Created topic {} ({} partitions)", result.getKey(),
                                describePartitions(byName.get(result.getKey())));
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw new IllegalStateException("cannot create topic " + result.getKey() + ": "
                                    + e.getCause(), e.getCause());
                        }
                        // created concurrently by someone else: fine
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + byName.keySet(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics " + byName.keySet() + ": "
                    + (e instanceof ExecutionException ? e.getCause() : e), e);
        }
        for (String topic : byName.keySet()) {
            if (!awaitReady(admin, topic, deadline)) {
                throw new IllegalStateException("topic " + topic + " was not ready (every partition answering "
                        + "listOffsets) within " + timeout.toMillis() + " ms");
            }
        }
    }

    /**
     * Whether the topic exists and every partition answers {@code listOffsets} within
     * {@code timeout}; for readiness checks. Never throws for an absent or unready topic.
     */
    public static boolean isTopicReady(Admin admin, String topic, Duration timeout) {
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(timeout, "timeout");
        return awaitReady(admin, topic, System.nanoTime() + timeout.toNanos());
    }

    /** Polls until the topic answers, or the deadline passes (then false). */
    private static boolean awaitReady(Admin admin, String topic, long deadline) {
        while (true) {
            if (answersListOffsets(admin, topic, deadline)) {
                return true;
            }
            if (Thread.currentThread().isInterrupted() || remainingMs(deadline) <= RETRY_PAUSE_MS) {
                return false;
            }
            try {
                Thread.sleep(RETRY_PAUSE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static boolean answersListOffsets(Admin admin, String topic, long deadline) {
        try {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(remainingMs(deadline), TimeUnit.MILLISECONDS).get(topic);
            if (description == null || description.partitions().isEmpty()) {
                return false;
            }
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            description.partitions().forEach(p -> {
                if (p.leader() != null && !p.leader().isEmpty()) {
                    request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                }
            });
            if (request.size() != description.partitions().size()) {
                log.debug("Topic {} has partitions without a leader yet", topic);
                return false;
            }
            admin.listOffsets(request, new ListOffsetsOptions()).all()
                    .get(remainingMs(deadline), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                log.debug("Topic {} not ready yet: {}", topic, e.getCause().toString());
            }
            return false;
        } catch (TimeoutException e) {
            return false;
        }
    }

    private static String describePartitions(NewTopic topic) {
        return topic == null ? "?" : topic.numPartitions() < 0 ? "broker default" : String.valueOf(topic.numPartitions());
    }

    private static long remainingMs(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }
}
