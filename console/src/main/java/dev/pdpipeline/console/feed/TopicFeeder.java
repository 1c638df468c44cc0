package dev.pdpipeline.console.feed;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.console.index.ConsoleIndex;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the console's index from the topics: one {@code read_committed} consumer without a
 * group (the console commits nothing and never disturbs the pipeline's groups), assigned every
 * partition of the decisions, request-log, results, ledger and both dead-letter topics, read
 * from the beginning and then tailed. Partitions that appear later are picked up.
 */
public final class TopicFeeder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopicFeeder.class);
    /** How often the feeder looks for topics and partitions created after it started. */
    static final Duration REFRESH = Duration.ofSeconds(5);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ConsoleIndex index;
    private final TopicCatalogue topics;
    private final Health.Part health;
    private final Thread thread;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean running = true;

    private TopicFeeder(Properties kafka, TopicCatalogue topics, ConsoleIndex index, Health.Part health) {
        Properties props = new Properties();
        props.putAll(kafka);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "pdpipeline-console");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(props);
        this.topics = topics;
        this.index = index;
        this.health = health;
        this.thread = new Thread(this::loop, "console-feeder");
        this.thread.setDaemon(true);
    }

    /** Starts reading in a thread of its own. */
    public static TopicFeeder start(Properties kafka, TopicCatalogue topics, ConsoleIndex index, Health.Part health) {
        TopicFeeder feeder = new TopicFeeder(kafka, topics, index, health);
        feeder.thread.start();
        return feeder;
    }

    /** Waits until the feeder read up to the end offsets it found at its first assignment. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private List<String> names() {
        return List.of(topics.decisions(), topics.requestLog(), topics.results(), topics.resultsLedger(),
                topics.deadLetter(), topics.resultsDeadLetter());
    }

    private void loop() {
        Set<TopicPartition> assigned = new HashSet<>();
        Map<TopicPartition, Long> catchUpTo = null;
        long nextRefresh = 0;
        try {
            while (running) {
                if (System.nanoTime() >= nextRefresh) {
                    nextRefresh = System.nanoTime() + REFRESH.toNanos();
                    Set<TopicPartition> all;
                    try {
                        all = partitions();
                    } catch (org.apache.kafka.common.errors.TimeoutException e) {
                        // the cluster is unreachable for now: the console keeps serving what it has and retries
                        LOG.warn("Console index cannot list the topics ({}); retrying in {} s", e.getMessage(),
                                REFRESH.toSeconds());
                        health.degraded("cannot list the topics: " + e.getMessage());
                        continue;
                    }
                    if (!all.equals(assigned)) {
                        Set<TopicPartition> added = new HashSet<>(all);
                        added.removeAll(assigned);
                        consumer.assign(all);
                        consumer.seekToBeginning(added);
                        assigned = all;
                        LOG.info("Console index reads {} partition(s) of {}", all.size(), names());
                    }
                    if (catchUpTo == null) {
                        catchUpTo = new HashMap<>(consumer.endOffsets(assigned));
                    }
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    apply(r);
                }
                if (catchUpTo != null && caughtUp.getCount() > 0 && reached(catchUpTo)) {
                    caughtUp.countDown();
                    LOG.info("Console index caught up: {}", index.stats());
                }
                health.up();
            }
        } catch (WakeupException e) {
            if (running) {
                health.failed(e);
            }
        } catch (RuntimeException e) {
            LOG.error("Console index stopped reading the topics: {}", Health.describe(e), e);
            health.failed(e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private boolean reached(Map<TopicPartition, Long> targets) {
        for (Map.Entry<TopicPartition, Long> t : targets.entrySet()) {
            if (consumer.position(t.getKey()) < t.getValue()) {
                return false;
            }
        }
        return true;
    }

    private Set<TopicPartition> partitions() {
        Set<TopicPartition> out = new HashSet<>();
        Map<String, List<PartitionInfo>> listed = consumer.listTopics(Duration.ofSeconds(10));
        for (String name : names()) {
            for (PartitionInfo p : listed.getOrDefault(name, List.of())) {
                out.add(new TopicPartition(p.topic(), p.partition()));
            }
        }
        return out;
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        String topic = r.topic();
        boolean ok = true;
        if (topic.equals(topics.decisions())) {
            ok = index.addDecision(r.value());
        } else if (topic.equals(topics.requestLog())) {
            ok = r.value() == null || index.addRequest(r.value(), topics::agentTopic);
        } else if (topic.equals(topics.results())) {
            ok = index.addResult(topic, r.partition(), r.offset(), r.timestamp(), r.value());
        } else if (topic.equals(topics.resultsLedger())) {
            ok = r.value() == null || index.addLedger(r.value());
        } else {
            Map<String, String> headers = new HashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
            }
            index.addDeadLetter(topic, r.partition(), r.offset(), r.key(), r.value(), headers);
        }
        if (!ok) {
            LOG.debug("Console index skipped an unreadable record {}-{}@{}", topic, r.partition(), r.offset());
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }

    /** For tests: the topics read. */
    List<String> topicNames() {
        return new ArrayList<>(names());
    }
}
