package dev.pdpipeline.ingress;

import dev.pdpipeline.common.config.KafkaClientProperties;
import dev.pdpipeline.common.topics.TopicCatalogue;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The ingress configuration, read from environment variables and validated once at start, so that
 * a typo stops the service with a message naming the variable instead of surfacing as a 503 later.
 *
 * <p>Kafka client settings pass through as {@code KAFKA_*} variables
 * ({@link KafkaClientProperties}); topic names come from {@link TopicCatalogue#fromEnv}. Blank
 * variables count as unset. Every variable is documented in {@link #configDef()} and
 * {@code docs/ingress.md}.
 */
public final class IngressConfig {

    public static final String INGRESS_HOST = "INGRESS_HOST";
    public static final String INGRESS_PORT = "INGRESS_PORT";
    public static final String MANAGEMENT_HOST = "MANAGEMENT_HOST";
    public static final String MANAGEMENT_PORT = "MANAGEMENT_PORT";
    public static final String TRIGGERS_PATH = "TRIGGERS_PATH";
    public static final String TRIGGERS_RELOAD_INTERVAL_MS = "TRIGGERS_RELOAD_INTERVAL_MS";
    public static final String MAX_BODY_BYTES = "MAX_BODY_BYTES";
    public static final String PUBLISH_TIMEOUT_MS = "PUBLISH_TIMEOUT_MS";
    public static final String READINESS_CHECK_INTERVAL_MS = "READINESS_CHECK_INTERVAL_MS";
    public static final String RAW_TOPIC_PARTITIONS = "RAW_TOPIC_PARTITIONS";
    public static final String RAW_TOPIC_REPLICATION = "RAW_TOPIC_REPLICATION";
    public static final String RAW_TOPIC_RETENTION_MS = "RAW_TOPIC_RETENTION_MS";

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MANAGEMENT_PORT = 8081;
    public static final String DEFAULT_TRIGGERS_PATH = "./triggers";
    public static final long DEFAULT_TRIGGERS_RELOAD_INTERVAL_MS = 5_000;
    public static final long DEFAULT_MAX_BODY_BYTES = 1_048_576;
    public static final long DEFAULT_PUBLISH_TIMEOUT_MS = 3_000;
    public static final long DEFAULT_READINESS_CHECK_INTERVAL_MS = 5_000;
    public static final int DEFAULT_RAW_TOPIC_PARTITIONS = 3;
    public static final short DEFAULT_RAW_TOPIC_REPLICATION = 1;
    public static final long DEFAULT_RAW_TOPIC_RETENTION_MS = 2_592_000_000L;

    /** PagerDuty gives up on a delivery after 5 s; the publish bound must leave room to answer. */
    public static final long PAGERDUTY_DEADLINE_MS = 5_000;
    /** PagerDuty sends at most 256 KB; anything below that would reject real deliveries. */
    public static final long MIN_BODY_BYTES = 256 * 1024;
    /** Far above anything PagerDuty sends; keeps one request from pinning a lot of memory. */
    public static final long MAX_BODY_BYTES_LIMIT = 16L * 1024 * 1024;

    private static final ConfigDef DEF = new ConfigDef()
            .define(INGRESS_HOST, Type.STRING, DEFAULT_HOST, new ConfigDef.NonEmptyStringWithoutControlChars(),
                    Importance.MEDIUM, "Interface the webhook listener binds (0.0.0.0 = all).")
            .define(INGRESS_PORT, Type.INT, DEFAULT_PORT, Range.between(0, 65_535), Importance.HIGH,
                    "Public webhook port (POST /webhooks/pagerduty). 0 picks a free port.")
            .define(MANAGEMENT_HOST, Type.STRING, DEFAULT_HOST, new ConfigDef.NonEmptyStringWithoutControlChars(),
                    Importance.LOW, "Interface the management listener (health, metrics) binds.")
            .define(MANAGEMENT_PORT, Type.INT, DEFAULT_MANAGEMENT_PORT, Range.between(0, 65_535), Importance.MEDIUM,
                    "Port of /health/live, /health/ready and /metrics; never the webhook port.")
            .define(TRIGGERS_PATH, Type.STRING, DEFAULT_TRIGGERS_PATH, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Directory (or single file) of aof.sh/v1 Trigger YAML files; the webhook "
                            + "secrets of all triggers are accepted. Must exist.")
            .define(TRIGGERS_RELOAD_INTERVAL_MS, Type.LONG, DEFAULT_TRIGGERS_RELOAD_INTERVAL_MS,
                    Range.between(100, 3_600_000), Importance.LOW,
                    "How often the triggers are re-read; new secrets are accepted without a restart.")
            .define(MAX_BODY_BYTES, Type.LONG, DEFAULT_MAX_BODY_BYTES, Range.between(MIN_BODY_BYTES, MAX_BODY_BYTES_LIMIT),
                    Importance.MEDIUM, "Largest webhook body accepted; larger ones get 413 without being read.")
            .define(PUBLISH_TIMEOUT_MS, Type.LONG, DEFAULT_PUBLISH_TIMEOUT_MS,
                    Range.between(100, PAGERDUTY_DEADLINE_MS - 1), Importance.MEDIUM,
                    "Longest wait for Kafka's acknowledgement before answering 503; must stay below PagerDuty's "
                            + "5 s deadline.")
            .define(READINESS_CHECK_INTERVAL_MS, Type.LONG, DEFAULT_READINESS_CHECK_INTERVAL_MS,
                    Range.between(100, 300_000), Importance.LOW,
                    "How often Kafka and the raw topic are checked for readiness.")
            .define(RAW_TOPIC_PARTITIONS, Type.INT, DEFAULT_RAW_TOPIC_PARTITIONS, Range.between(1, 10_000),
                    Importance.MEDIUM, "Partitions of the raw topic when the ingress creates it.")
            .define(RAW_TOPIC_REPLICATION, Type.SHORT, DEFAULT_RAW_TOPIC_REPLICATION, Range.between(1, 32),
                    Importance.MEDIUM, "Replication factor of the raw topic when the ingress creates it.")
            .define(RAW_TOPIC_RETENTION_MS, Type.LONG, DEFAULT_RAW_TOPIC_RETENTION_MS, IngressConfig::validRetention,
                    Importance.MEDIUM, "retention.ms of the raw topic when the ingress creates it (-1 = forever); "
                            + "replay can go back this far.");

    private final Map<String, String> env;
    private final String bindHost;
    private final int port;
    private final String managementHost;
    private final int managementPort;
    private final Path triggersPath;
    private final Duration triggersReloadInterval;
    private final long maxBodyBytes;
    private final Duration publishTimeout;
    private final Duration readinessCheckInterval;
    private final int rawTopicPartitions;
    private final short rawTopicReplication;
    private final long rawTopicRetentionMs;
    private final TopicCatalogue topics;
    private final Properties kafkaProperties;

    private IngressConfig(Map<String, String> env) {
        this.env = Map.copyOf(env);
        Map<String, String> defined = new HashMap<>();
        for (String name : DEF.names()) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                defined.put(name, value.trim());
            }
        }
        Map<String, Object> values = DEF.parse(defined);
        this.bindHost = (String) values.get(INGRESS_HOST);
        this.port = (Integer) values.get(INGRESS_PORT);
        this.managementHost = (String) values.get(MANAGEMENT_HOST);
        this.managementPort = (Integer) values.get(MANAGEMENT_PORT);
        this.triggersPath = existingPath((String) values.get(TRIGGERS_PATH));
        this.triggersReloadInterval = Duration.ofMillis((Long) values.get(TRIGGERS_RELOAD_INTERVAL_MS));
        this.maxBodyBytes = (Long) values.get(MAX_BODY_BYTES);
        this.publishTimeout = Duration.ofMillis((Long) values.get(PUBLISH_TIMEOUT_MS));
        this.readinessCheckInterval = Duration.ofMillis((Long) values.get(READINESS_CHECK_INTERVAL_MS));
        this.rawTopicPartitions = (Integer) values.get(RAW_TOPIC_PARTITIONS);
        this.rawTopicReplication = (Short) values.get(RAW_TOPIC_REPLICATION);
        this.rawTopicRetentionMs = (Long) values.get(RAW_TOPIC_RETENTION_MS);
        if (port != 0 && port == managementPort && bindHost.equals(managementHost)) {
            throw new ConfigException(MANAGEMENT_PORT, managementPort,
                    "must differ from " + INGRESS_PORT + " (health and metrics never share the webhook port)");
        }
        try {
            this.topics = TopicCatalogue.fromEnv(env);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        this.kafkaProperties = KafkaClientProperties.fromEnv(env);
        if (kafkaProperties.getProperty("bootstrap.servers").isBlank()) {
            throw new ConfigException(KafkaClientProperties.BOOTSTRAP_SERVERS_ENV, "", "must name at least one broker");
        }
    }

    /**
     * Reads and validates the configuration.
     *
     * @param env the environment (tests pass a map; {@link IngressMain} passes {@code System.getenv()})
     * @throws ConfigException naming the variable that is wrong
     */
    public static IngressConfig fromEnv(Map<String, String> env) {
        return new IngressConfig(Objects.requireNonNull(env, "env"));
    }

    /** The definition of every variable, with defaults and documentation (e.g. for {@code --help}). */
    public static ConfigDef configDef() {
        return new ConfigDef(DEF);
    }

    public String bindHost() {
        return bindHost;
    }

    public int port() {
        return port;
    }

    public String managementHost() {
        return managementHost;
    }

    public int managementPort() {
        return managementPort;
    }

    public Path triggersPath() {
        return triggersPath;
    }

    public Duration triggersReloadInterval() {
        return triggersReloadInterval;
    }

    public long maxBodyBytes() {
        return maxBodyBytes;
    }

    public Duration publishTimeout() {
        return publishTimeout;
    }

    public Duration readinessCheckInterval() {
        return readinessCheckInterval;
    }

    public int rawTopicPartitions() {
        return rawTopicPartitions;
    }

    public short rawTopicReplication() {
        return rawTopicReplication;
    }

    public long rawTopicRetentionMs() {
        return rawTopicRetentionMs;
    }

    public TopicCatalogue topics() {
        return topics;
    }

    /**
     * The pass-through Kafka client properties ({@code KAFKA_*}), a fresh copy each call. The
     * producer adds its own durability and timeout settings after these.
     */
    public Properties kafkaProperties() {
        Properties copy = new Properties();
        copy.putAll(kafkaProperties);
        return copy;
    }

    /**
     * The environment the configuration was read from; trigger files may reference its variables
     * (e.g. the webhook secret). Not part of {@link #toString()}.
     */
    public Map<String, String> environment() {
        return env;
    }

    /** Summary for the startup log: no Kafka properties (they may hold credentials), no env. */
    @Override
    public String toString() {
        return "IngressConfig[listen=" + bindHost + ":" + port + ", management=" + managementHost + ":" + managementPort
                + ", triggers=" + triggersPath + ", rawTopic=" + topics.raw() + ", bootstrap="
                + kafkaProperties.getProperty("bootstrap.servers") + ", maxBodyBytes=" + maxBodyBytes
                + ", publishTimeout=" + publishTimeout.toMillis() + "ms]";
    }

    private static Path existingPath(String value) {
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw new ConfigException(TRIGGERS_PATH, value, "not a valid path: " + e.getReason());
        }
        if (!Files.exists(path)) {
            throw new ConfigException(TRIGGERS_PATH, value, "does not exist (absolute: " + path.toAbsolutePath()
                    + "); point it at the directory holding the Trigger YAML files");
        }
        if (!Files.isReadable(path)) {
            throw new ConfigException(TRIGGERS_PATH, value, "is not readable");
        }
        return path;
    }

    private static void validRetention(String name, Object value) {
        long ms = (Long) value;
        if (ms != -1 && ms < 60_000) {
            throw new ConfigException(name, value, "must be -1 (keep forever) or at least 60000 ms");
        }
    }
}
