package dev.pdpipeline.common.deadletter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.kafka.TopicAdmin;
import dev.pdpipeline.common.logging.LogContext;
import dev.pdpipeline.common.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists and re-drives the dead-letter topics with plain Kafka clients, for {@code bin/pipeline dlq}
 * and the console.
 *
 * <p>A re-drive sends each selected entry back where it came from (original key, value and
 * headers, without the {@code pdpipeline-dlq-*} ones, plus {@link #REDRIVE_OF_HEADER}) and records
 * it on the compacted re-drive topic ({@link TopicCatalogue#redrives()}, key
 * {@code topic/partition/offset}) in the same Kafka transaction: either both happen or neither.
 * Entries recorded there are skipped next time, so repeating a re-drive does nothing. What
 * follows downstream is safe to repeat too: the processor's dedup routes a raw event only to the
 * Triggers that did not take it yet, and the notes writer's ledger writes a result once.
 */
public final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

    /** On a re-driven record: the id ({@code topic/partition/offset}) of the dead letter it came from. */
    public static final String REDRIVE_OF_HEADER = "pdpipeline-redrive-of";
    /** The version of the re-drive record's JSON value. */
    public static final int SCHEMA_VERSION = 1;

    private final Properties clientProps;
    private final TopicCatalogue topics;
    private final Duration timeout;
    private final Clock clock;

    public DeadLetters(Properties clientProps, TopicCatalogue topics, Duration timeout, Clock clock) {
        this.clientProps = Objects.requireNonNull(clientProps, "clientProps");
        this.topics = Objects.requireNonNull(topics, "topics");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public DeadLetters(Properties clientProps, TopicCatalogue topics) {
        this(clientProps, topics, Duration.ofSeconds(60), Clock.systemUTC());
    }

    /**
     * The entries of one dead-letter topic that match, oldest offset first per partition.
     *
     * @throws MissingDeadLetterTopicException when the topic does not exist
     * @throws IllegalStateException             when it cannot be read
     */
    public List<DeadLetter> list(DeadLetterTopic kind, Predicate<DeadLetter> filter) {
        String topic = kind.deadLetterTopic(topics);
        List<DeadLetter> out = new ArrayList<>();
        boolean exists = new TopicSnapshot(clientProps, timeout).read(topic, record -> {
            DeadLetter entry = DeadLetter.of(kind, record);
            if (filter.test(entry)) {
                out.add(entry);
            }
        });
        if (!exists) {
            throw new MissingDeadLetterTopicException("dead-letter topic " + topic + " does not exist (nothing was dead-lettered"
                    + " yet, or " + (kind == DeadLetterTopic.RAW ? TopicCatalogue.DLQ_TOPIC_ENV
                    : TopicCatalogue.RESULTS_DLQ_TOPIC_ENV) + " names another topic)");
        }
        return out;
    }

    /** One entry by partition and offset. */
    public Optional<DeadLetter> find(DeadLetterTopic kind, int partition, long offset) {
        return list(kind, DeadLetterFilter.ALL).stream()
                .filter(e -> e.partition() == partition && e.offset() == offset).findFirst();
    }

    /** Ids of every entry the re-drive topic records as re-driven (empty when it does not exist yet). */
    public Set<String> redriven() {
        return new HashSet<>(redriveRecords().keySet());
    }

    /**
     * The re-drive records by dead-letter id ({@code topic/partition/offset}), latest per id; the
     * value is the record's JSON ({@code target} says where the entry was sent), or an empty object
     * when it is not JSON. Empty when the re-drive topic does not exist yet.
     */
    public Map<String, JsonNode> redriveRecords() {
        Map<String, JsonNode> records = new HashMap<>();
        new TopicSnapshot(clientProps, timeout).read(topics.redrives(), record -> {
            if (record.key() == null) {
                return;
            }
            String id = new String(record.key(), StandardCharsets.UTF_8);
            if (record.value() == null) {
                records.remove(id); // a tombstone: forgotten on purpose, may be re-driven again
            } else {
                JsonNode value;
                try {
                    value = Json.mapper().readTree(record.value());
                } catch (java.io.IOException e) {
                    value = null;
                }
                records.put(id, value == null || !value.isObject() ? Json.mapper().createObjectNode() : value);
            }
        });
        return records;
    }

    /**
     * Re-drives the matching entries that were not re-driven before.
     *
     * @throws IllegalStateException when Kafka fails; entries re-driven before the failure stay
     *                               recorded (each entry is its own transaction)
     */
    public RedriveReport redrive(DeadLetterTopic kind, Predicate<DeadLetter> filter, boolean dryRun) {
        List<DeadLetter> matching = list(kind, filter);
        Set<String> done = redriven();
        List<DeadLetter> pending = new ArrayList<>();
        List<DeadLetter> skipped = new ArrayList<>();
        for (DeadLetter entry : matching) {
            (done.contains(entry.id()) ? skipped : pending).add(entry);
        }
        String target = kind.redriveTarget(topics);
        if (dryRun || pending.isEmpty()) {
            return new RedriveReport(kind, target, dryRun, pending, skipped);
        }
        ensureRedriveTopic();
        try (KafkaProducer<byte[], byte[]> producer = transactionalProducer(kind)) {
            producer.initTransactions();
            for (DeadLetter entry : pending) {
                try (LogContext log = LogContext.record(entry.topic(), entry.partition(), entry.offset())
                        .put(LogContext.INCIDENT, entry.incident())) {
                    producer.beginTransaction();
                    try {
                        RecordMetadata sent = producer.send(new ProducerRecord<>(target, null, entry.key(), entry.value(),
                                redrivenHeaders(entry))).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                        producer.send(new ProducerRecord<>(topics.redrives(), utf8(entry.id()),
                                utf8(redriveRecord(entry, sent).toString())));
                        producer.commitTransaction();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        producer.abortTransaction();
                        throw new IllegalStateException("interrupted while re-driving " + entry.id(), e);
                    } catch (ExecutionException | TimeoutException e) {
                        producer.abortTransaction();
                        throw new IllegalStateException("cannot re-drive " + entry.id() + " to " + target + ": "
                                + (e instanceof ExecutionException ? e.getCause() : e), e);
                    }
                    LOG.info("Re-drove dead letter {} ({}) to {}", entry.id(), entry.reason(), target);
                }
            }
        }
        return new RedriveReport(kind, target, false, pending, skipped);
    }

    private static RecordHeaders redrivenHeaders(DeadLetter entry) {
        RecordHeaders headers = new RecordHeaders();
        for (Header h : entry.headers()) {
            if (!h.key().startsWith("pdpipeline-dlq-") && !h.key().equals(REDRIVE_OF_HEADER)) {
                headers.add(h.key(), h.value());
            }
        }
        headers.add(REDRIVE_OF_HEADER, utf8(entry.id()));
        return headers;
    }

    private ObjectNode redriveRecord(DeadLetter entry, RecordMetadata sent) {
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("schema_version", SCHEMA_VERSION);
        ObjectNode dlq = json.putObject("dead_letter");
        dlq.put("topic", entry.topic());
        dlq.put("partition", entry.partition());
        dlq.put("offset", entry.offset());
        json.put("reason", entry.reason());
        json.put("incident", entry.incident());
        ObjectNode target = json.putObject("target");
        target.put("topic", sent.topic());
        target.put("partition", sent.partition());
        target.put("offset", sent.offset());
        json.put("redriven_at", clock.instant().toString());
        return json;
    }

    private void ensureRedriveTopic() {
        Properties props = new Properties();
        props.putAll(clientProps);
        try (Admin admin = Admin.create(props)) {
            NewTopic topic = new NewTopic(topics.redrives(), Optional.of(1), Optional.empty())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            TopicAdmin.ensureTopics(admin, List.of(topic), timeout);
        }
    }

    private KafkaProducer<byte[], byte[]> transactionalProducer(DeadLetterTopic kind) {
        Properties props = new Properties();
        props.putAll(clientProps);
        props.remove("group.id");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // one id per dead-letter topic: a second re-drive of the same topic fences the first
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "pdpipeline-redrive-" + kind.deadLetterTopic(topics));
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "pdpipeline-redrive-" + UUID.randomUUID());
        return new KafkaProducer<>(props);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
