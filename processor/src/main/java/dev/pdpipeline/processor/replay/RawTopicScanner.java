package dev.pdpipeline.processor.replay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a bounded stretch of the raw topic without disturbing anyone: a plain consumer with
 * {@code assign} (no group, nothing committed), {@code read_committed}, from the first offset at
 * or after the range's start ({@code offsetsForTimes}, not a scan from the beginning) up to the
 * end offsets captured when the plan was made, so records arriving meanwhile do not make the
 * read endless.
 */
public final class RawTopicScanner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RawTopicScanner.class);
    private static final Duration POLL = Duration.ofMillis(200);

    /** Called for each record inside the plan, and after each polled batch. */
    public interface Listener {
        void record(ConsumerRecord<byte[], byte[]> record);

        /** After the records of one poll: a good moment to commit a transaction. */
        default void batchDone() {
        }
    }

    /**
     * What a scan reads: per partition, offsets {@code [start, stop)}.
     *
     * @param partitions the partitions read (also those with nothing to read in the range)
     */
    public record Plan(String topic, List<Integer> partitions, Map<Integer, Long> start, Map<Integer, Long> stop) {
        public Plan {
            partitions = List.copyOf(partitions);
            start = Map.copyOf(start);
            stop = Map.copyOf(stop);
        }

        /** How many offsets the plan covers (records plus transaction markers). */
        public long offsets() {
            long n = 0;
            for (int p : partitions) {
                n += Math.max(0, stop.get(p) - start.get(p));
            }
            return n;
        }
    }

    private final String topic;
    private final String setting;
    private final Duration timeout;
    private final KafkaConsumer<byte[], byte[]> consumer;

    /**
     * @param clientProperties Kafka client settings (bootstrap, security); group and commit
     *                         settings in them are overridden
     * @param timeout          how long a metadata call may take and how long reading may make
     *                         no progress before the scan fails
     */
    public RawTopicScanner(Properties clientProperties, String topic, Duration timeout) {
        this(clientProperties, topic, "RAW_TOPIC", timeout);
    }

    /**
     * A reader of another topic than the raw one (the decisions topic, say).
     *
     * @param setting the variable that names the topic, for error messages
     */
    public RawTopicScanner(Properties clientProperties, String topic, String setting, Duration timeout) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.setting = Objects.requireNonNull(setting, "setting");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        Properties props = new Properties();
        props.putAll(Objects.requireNonNull(clientProperties, "clientProperties"));
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        // A reader never creates the topic it looks for (a broker with auto-create would).
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "pdpipeline-raw-reader");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(props);
    }

    /** The topic's partition count. */
    public int partitionCount() {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
            throw new ReplaySettingException("topic '" + topic + "' does not exist (check " + setting + " and"
                    + " KAFKA_BOOTSTRAP_SERVERS)");
        }
        return infos.size();
    }

    /** Whether the topic exists. */
    public boolean exists() {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        return infos != null && !infos.isEmpty();
    }

    /**
     * Plans a read of the given partitions (null: all of them) within {@code range}, capturing
     * the end offsets now.
     */
    public Plan plan(Collection<Integer> partitions, TimeRange range) {
        Objects.requireNonNull(range, "range");
        int count = partitionCount();
        Set<Integer> chosen = new TreeSet<>();
        if (partitions == null) {
            for (int p = 0; p < count; p++) {
                chosen.add(p);
            }
        } else {
            for (int p : partitions) {
                if (p < 0 || p >= count) {
                    throw new IllegalArgumentException("partition " + p + " is not one of the " + count
                            + " partitions of " + topic);
                }
                chosen.add(p);
            }
        }
        List<TopicPartition> tps = chosen.stream().map(p -> new TopicPartition(topic, p)).toList();
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(tps, timeout);
        Map<TopicPartition, Long> end = consumer.endOffsets(tps, timeout);
        Map<TopicPartition, OffsetAndTimestamp> fromOffsets = range.from() == null ? Map.of()
                : consumer.offsetsForTimes(timestamps(tps, range.from().toEpochMilli()), timeout);
        Map<TopicPartition, OffsetAndTimestamp> toOffsets = range.to() == null ? Map.of()
                : consumer.offsetsForTimes(timestamps(tps, range.to().toEpochMilli() + 1), timeout);
        Map<Integer, Long> start = new LinkedHashMap<>();
        Map<Integer, Long> stop = new LinkedHashMap<>();
        for (TopicPartition tp : tps) {
            long first = begin.get(tp);
            long last = end.get(tp);
            if (range.from() != null) {
                OffsetAndTimestamp at = fromOffsets.get(tp);
                first = at == null ? last : Math.max(first, at.offset());
            }
            if (range.to() != null) {
                OffsetAndTimestamp at = toOffsets.get(tp);
                if (at != null) {
                    last = Math.min(last, at.offset());
                }
            }
            start.put(tp.partition(), first);
            stop.put(tp.partition(), Math.max(first, last));
        }
        Plan plan = new Plan(topic, new ArrayList<>(chosen), start, stop);
        LOG.debug("Plan for {}: partitions {}, start {}, stop {}", topic, plan.partitions(), start, stop);
        return plan;
    }

    /**
     * Reads every record of the plan, handing each to {@code listener}; returns how many.
     *
     * @throws IllegalStateException when reading makes no progress for the timeout
     */
    public long scan(Plan plan, Listener listener) {
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(listener, "listener");
        Map<TopicPartition, Long> stops = new HashMap<>();
        for (int p : plan.partitions()) {
            if (plan.stop().get(p) > plan.start().get(p)) {
                stops.put(new TopicPartition(plan.topic(), p), plan.stop().get(p));
            }
        }
        if (stops.isEmpty()) {
            return 0;
        }
        consumer.assign(stops.keySet());
        stops.keySet().forEach(tp -> consumer.seek(tp, plan.start().get(tp.partition())));
        long scanned = 0;
        long lastProgress = System.nanoTime();
        Map<TopicPartition, Long> positions = new HashMap<>();
        while (!stops.isEmpty()) {
            boolean moved = false;
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                Long stop = stops.get(new TopicPartition(record.topic(), record.partition()));
                if (stop == null || record.offset() >= stop) {
                    continue;
                }
                listener.record(record);
                scanned++;
                moved = true;
            }
            listener.batchDone();
            List<TopicPartition> done = new ArrayList<>();
            for (Map.Entry<TopicPartition, Long> e : stops.entrySet()) {
                long position = consumer.position(e.getKey(), timeout);
                Long before = positions.put(e.getKey(), position);
                moved |= before == null || before != position;
                if (position >= e.getValue()) {
                    done.add(e.getKey());
                }
            }
            if (!done.isEmpty()) {
                done.forEach(stops::remove);
                consumer.pause(done);
            }
            if (moved) {
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > timeout.toNanos()) {
                throw new IllegalStateException("no progress reading " + stops.keySet() + " for "
                        + timeout.toSeconds() + " s (positions " + positions + ", targets " + stops + ")");
            }
        }
        return scanned;
    }

    private static Map<TopicPartition, Long> timestamps(List<TopicPartition> tps, long timestamp) {
        Map<TopicPartition, Long> out = new HashMap<>();
        tps.forEach(tp -> out.put(tp, timestamp));
        return out;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
