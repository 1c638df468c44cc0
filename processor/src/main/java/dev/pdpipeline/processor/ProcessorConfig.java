package dev.pdpipeline.processor;

import dev.pdpipeline.common.config.KafkaClientProperties;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.topics.TopicPlan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The processor's settings, read from environment variables (the keys below are the variable
 * names) and validated at start, so a typo fails the process with a message naming the variable
 * instead of misbehaving later. Topic names come from {@link TopicCatalogue#fromEnv}, Kafka client
 * settings (SASL/TLS, ...) from {@code KAFKA_*} via {@link KafkaClientProperties}. Every variable is
 * documented in docs/processor.md.
 */
public final class ProcessorConfig {

    /** Trigger file or directory of Trigger files. */
    public static final String TRIGGERS_PATH = "TRIGGERS_PATH";
    /** How often the Trigger path is checked for changes. */
    public static final String TRIGGERS_RELOAD_INTERVAL_MS = "TRIGGERS_RELOAD_INTERVAL_MS";
    /** Kafka Streams application id: consumer group, transactional id and internal topic prefix. */
    public static final String APPLICATION_ID = "APPLICATION_ID";
    /** Where Kafka Streams keeps local state (the dedup store); a volume keeps restarts fast. */
    public static final String STATE_DIR = "STATE_DIR";
    /** {@code exactly_once_v2} (default) or {@code at_least_once}. */
    public static final String PROCESSING_GUARANTEE = "PROCESSING_GUARANTEE";
    /** How often offsets, state and output are committed (a transaction under EOS). */
    public static final String COMMIT_INTERVAL_MS = "COMMIT_INTERVAL_MS";
    /** Stream threads of this instance. */
    public static final String NUM_STREAM_THREADS = "NUM_STREAM_THREADS";
    /** How long an (event, trigger) pair is remembered to suppress duplicates. */
    public static final String DEDUP_WINDOW_HOURS = "DEDUP_WINDOW_HOURS";
    /** How often expired dedup entries are purged (wall clock). */
    public static final String DEDUP_PURGE_INTERVAL_MS = "DEDUP_PURGE_INTERVAL_MS";
    /** Most dedup entries examined per purge run and task, to bound the pause it causes. */
    public static final String DEDUP_PURGE_BATCH = "DEDUP_PURGE_BATCH";
    /** Partitions of agent topics the processor creates; 0 means as many as the raw topic. */
    public static final String AGENT_TOPIC_PARTITIONS = "AGENT_TOPIC_PARTITIONS";
    /** Older name of {@link TopicPlan#TOPIC_REPLICATION}, still read as an alias. */
    public static final String AGENT_TOPIC_REPLICATION = "AGENT_TOPIC_REPLICATION";
    /** Partitions of the raw and dead-letter topics when the processor has to create them. */
    public static final String RAW_TOPIC_PARTITIONS = "RAW_TOPIC_PARTITIONS";
    /** Same variable and default as the ingress: whichever service creates the raw topic, replay reaches as far. */
    public static final String RAW_TOPIC_RETENTION_MS = "RAW_TOPIC_RETENTION_MS";
    public static final long DEFAULT_RAW_TOPIC_RETENTION_MS = 2_592_000_000L;
    /** Replication factor of every topic created (see {@link TopicPlan}); unset = min(3, brokers). */
    public static final String TOPIC_REPLICATION = TopicPlan.TOPIC_REPLICATION;
    /** How long topic creation at start (and on reload) may take. */
    public static final String TOPIC_CREATE_TIMEOUT_MS = "TOPIC_CREATE_TIMEOUT_MS";
    /** Off-heap memory all dedup stores of this instance share (RocksDB block cache and memtables). */
    public static final String DEDUP_STORE_CACHE_MB = "DEDUP_STORE_CACHE_MB";
    /** Port of /health/* and /metrics when the processor runs alone. */
    public static final String MANAGEMENT_PORT = "MANAGEMENT_PORT";
    /** Interface the management port binds to when the processor runs alone. */
    public static final String MANAGEMENT_HOST = "MANAGEMENT_HOST";

    public static final String DEFAULT_TRIGGERS_PATH = "triggers";
    public static final String DEFAULT_APPLICATION_ID = "pdpipeline-processor";
    public static final String AT_LEAST_ONCE = StreamsConfig.AT_LEAST_ONCE;
    public static final String EXACTLY_ONCE_V2 = StreamsConfig.EXACTLY_ONCE_V2;

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(TRIGGERS_PATH, Type.STRING, DEFAULT_TRIGGERS_PATH, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Trigger file or directory of *.yaml/*.yml Trigger files.")
            .define(TRIGGERS_RELOAD_INTERVAL_MS, Type.LONG, 5_000L, Range.between(100L, 3_600_000L),
                    Importance.LOW, "How often the trigger path is checked for changes, in ms.")
            .define(APPLICATION_ID, Type.STRING, DEFAULT_APPLICATION_ID, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Kafka Streams application id; instances with the same id share the work.")
            .define(STATE_DIR, Type.STRING, defaultStateDir(), new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM, "Directory of the local state (dedup store).")
            .define(PROCESSING_GUARANTEE, Type.STRING, EXACTLY_ONCE_V2,
                    ValidString.in(EXACTLY_ONCE_V2, AT_LEAST_ONCE),
                    Importance.MEDIUM, "exactly_once_v2 or at_least_once (benchmarks only).")
            .define(COMMIT_INTERVAL_MS, Type.LONG, null, nullOr(Range.between(1L, 600_000L)),
                    Importance.MEDIUM, "Commit interval in ms; default 100 under exactly_once_v2, 30000 otherwise.")
            .define(NUM_STREAM_THREADS, Type.INT, 1, Range.between(1, 64),
                    Importance.LOW, "Stream threads in this instance.")
            .define(DEDUP_WINDOW_HOURS, Type.INT, 72, Range.between(1, 24 * 365),
                    Importance.MEDIUM, "How long each (event, trigger) pair is remembered, in hours.")
            .define(DEDUP_PURGE_INTERVAL_MS, Type.LONG, 60_000L, Range.between(1_000L, 86_400_000L),
                    Importance.LOW, "How often expired dedup entries are purged, in ms.")
            .define(DEDUP_PURGE_BATCH, Type.INT, 10_000, Range.between(1, 10_000_000),
                    Importance.LOW, "Most dedup entries examined per purge run and task.")
            .define(AGENT_TOPIC_PARTITIONS, Type.INT, 0, Range.between(0, 10_000),
                    Importance.MEDIUM, "Partitions of created agent topics; 0 = as many as the raw topic.")
            .define(RAW_TOPIC_PARTITIONS, Type.INT, 3, Range.between(1, 10_000),
                    Importance.MEDIUM, "Partitions of the raw and dead-letter topics if the processor creates them.")
            .define(RAW_TOPIC_RETENTION_MS, Type.LONG, DEFAULT_RAW_TOPIC_RETENTION_MS, ProcessorConfig::validRetention,
                    Importance.MEDIUM, "retention.ms of the raw and dead-letter topics if the processor creates them "
                            + "(-1 = forever); replay can go back this far.")
            .define(TOPIC_CREATE_TIMEOUT_MS, Type.LONG, 60_000L, Range.between(1_000L, 600_000L),
                    Importance.LOW, "How long topic creation may take, in ms.")
            .define(MANAGEMENT_PORT, Type.INT, 8081, Range.between(0, 65535),
                    Importance.MEDIUM, "Port of /health/live, /health/ready and /metrics.")
            .define(MANAGEMENT_HOST, Type.STRING, "0.0.0.0", new ConfigDef.NonEmptyString(),
                    Importance.LOW, "Interface the management port binds to.")
            .define(DEDUP_STORE_CACHE_MB, Type.INT, 64, Range.between(4, 65_536), Importance.LOW,
                    "Off-heap memory (MiB) every dedup store of this instance shares: RocksDB block cache with "
                            + "index and filter blocks, and the memtables (at most half).");

    private final Map<String, String> env;
    private final TopicCatalogue topics;
    private final Path triggersPath;
    private final Duration triggersReloadInterval;
    private final String applicationId;
    private final Path stateDir;
    private final String processingGuarantee;
    private final long commitIntervalMs;
    private final int numStreamThreads;
    private final Duration dedupWindow;
    private final Duration dedupPurgeInterval;
    private final int dedupPurgeBatch;
    private final int dedupStoreCacheMb;
    private final int agentTopicPartitions;
    private final TopicPlan topicPlan;
    private final int rawTopicPartitions;
    private final long rawTopicRetentionMs;
    private final Duration topicCreateTimeout;
    private final int managementPort;
    private final String managementHost;

    private ProcessorConfig(Map<String, String> env, Map<String, Object> v, TopicCatalogue topics, TopicPlan plan) {
        this.env = env;
        this.topics = topics;
        this.topicPlan = plan;
        this.triggersPath = Path.of((String) v.get(TRIGGERS_PATH));
        this.triggersReloadInterval = Duration.ofMillis((Long) v.get(TRIGGERS_RELOAD_INTERVAL_MS));
        this.applicationId = (String) v.get(APPLICATION_ID);
        this.stateDir = Path.of((String) v.get(STATE_DIR));
        this.processingGuarantee = (String) v.get(PROCESSING_GUARANTEE);
        Long commit = (Long) v.get(COMMIT_INTERVAL_MS);
        this.commitIntervalMs = commit != null ? commit : EXACTLY_ONCE_V2.equals(processingGuarantee) ? 100L : 30_000L;
        this.numStreamThreads = (Integer) v.get(NUM_STREAM_THREADS);
        this.dedupWindow = Duration.ofHours((Integer) v.get(DEDUP_WINDOW_HOURS));
        this.dedupPurgeInterval = Duration.ofMillis((Long) v.get(DEDUP_PURGE_INTERVAL_MS));
        this.dedupPurgeBatch = (Integer) v.get(DEDUP_PURGE_BATCH);
        this.dedupStoreCacheMb = (Integer) v.get(DEDUP_STORE_CACHE_MB);
        this.agentTopicPartitions = (Integer) v.get(AGENT_TOPIC_PARTITIONS);
        this.rawTopicPartitions = (Integer) v.get(RAW_TOPIC_PARTITIONS);
        this.rawTopicRetentionMs = (Long) v.get(RAW_TOPIC_RETENTION_MS);
        this.topicCreateTimeout = Duration.ofMillis((Long) v.get(TOPIC_CREATE_TIMEOUT_MS));
        this.managementPort = (Integer) v.get(MANAGEMENT_PORT);
        this.managementHost = (String) v.get(MANAGEMENT_HOST);
    }

    /**
     * Reads and validates the settings.
     *
     * @throws ConfigException naming the variable when a value is invalid (also for topic names)
     */
    public static ProcessorConfig fromEnv(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        Map<String, String> copy = Collections.unmodifiableMap(new HashMap<>(env));
        Map<String, String> given = new HashMap<>();
        for (String name : DEFINITION.names()) {
            String value = copy.get(name);
            if (value != null && !value.isBlank()) {
                given.put(name, value.trim());
            }
        }
        Map<String, Object> parsed = DEFINITION.parse(given);
        TopicCatalogue topics;
        try {
            topics = TopicCatalogue.fromEnv(copy);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        return new ProcessorConfig(copy, parsed, topics, TopicPlan.fromEnv(copy));
    }

    /** The documented variables, for docs and {@code --help} texts. */
    public static ConfigDef definition() {
        return new ConfigDef(DEFINITION);
    }

    /** The whole environment this config was read from (Trigger files substitute from it). */
    public Map<String, String> env() {
        return env;
    }

    /** Kafka client properties from {@code KAFKA_*}, before the processor's own settings. */
    public Properties kafkaClientProperties() {
        return KafkaClientProperties.fromEnv(env);
    }

    public TopicCatalogue topics() {
        return topics;
    }

    public Path triggersPath() {
        return triggersPath;
    }

    public Duration triggersReloadInterval() {
        return triggersReloadInterval;
    }

    public String applicationId() {
        return applicationId;
    }

    public Path stateDir() {
        return stateDir;
    }

    public String processingGuarantee() {
        return processingGuarantee;
    }

    public boolean exactlyOnce() {
        return EXACTLY_ONCE_V2.equals(processingGuarantee);
    }

    public long commitIntervalMs() {
        return commitIntervalMs;
    }

    public int numStreamThreads() {
        return numStreamThreads;
    }

    public Duration dedupWindow() {
        return dedupWindow;
    }

    public Duration dedupPurgeInterval() {
        return dedupPurgeInterval;
    }

    public int dedupPurgeBatch() {
        return dedupPurgeBatch;
    }

    /** {@value #DEDUP_STORE_CACHE_MB}: the dedup stores' shared off-heap memory, in MiB. */
    public int dedupStoreCacheMb() {
        return dedupStoreCacheMb;
    }

    /** Partitions of new agent topics; 0 means "as many as the raw topic". */
    public int agentTopicPartitions() {
        return agentTopicPartitions;
    }

    /** How every topic is created (names, partitions, replication, configs). */
    public TopicPlan topicPlan() {
        return topicPlan;
    }

    public int rawTopicPartitions() {
        return rawTopicPartitions;
    }

    /** retention.ms given to the raw and dead-letter topics when the processor creates them. */
    public long rawTopicRetentionMs() {
        return rawTopicRetentionMs;
    }

    private static void validRetention(String name, Object value) {
        long ms = (Long) value;
        if (ms != -1 && ms < 60_000) {
            throw new org.apache.kafka.common.config.ConfigException(name, value,
                    "must be -1 (keep forever) or at least 60000 ms");
        }
    }

    public Duration topicCreateTimeout() {
        return topicCreateTimeout;
    }

    public int managementPort() {
        return managementPort;
    }

    public String managementHost() {
        return managementHost;
    }

    /** Settings only: no environment values (they may hold secrets). */
    @Override
    public String toString() {
        return "ProcessorConfig[topics=" + topics
                + ", triggersPath=" + triggersPath
                + ", triggersReloadInterval=" + triggersReloadInterval
                + ", applicationId=" + applicationId
                + ", stateDir=" + stateDir
                + ", processingGuarantee=" + processingGuarantee
                + ", commitIntervalMs=" + commitIntervalMs
                + ", numStreamThreads=" + numStreamThreads
                + ", dedupWindow=" + dedupWindow
                + ", dedupPurgeInterval=" + dedupPurgeInterval
                + ", dedupPurgeBatch=" + dedupPurgeBatch
                + ", agentTopicPartitions=" + (agentTopicPartitions == 0 ? "as raw" : agentTopicPartitions)
                + ", rawTopicPartitions=" + rawTopicPartitions
                + ", topicPlan=" + topicPlan
                + ", managementPort=" + managementPort
                + ", bootstrapServers=" + KafkaClientProperties.bootstrapServers(env)
                + "]";
    }

    private static String defaultStateDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "pdpipeline-processor-state").toString();
    }

    private static ConfigDef.Validator nullOr(ConfigDef.Validator inner) {
        return (name, value) -> {
            if (value != null) {
                inner.ensureValid(name, value);
            }
        };
    }
}
