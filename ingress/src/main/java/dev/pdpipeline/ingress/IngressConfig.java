package dev.pdpipeline.ingress;

import dev.pdpipeline.common.config.KafkaClientProperties;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.ingress.http.Cidr;
import dev.pdpipeline.ingress.http.SlowClientLimits;
import dev.pdpipeline.ingress.http.WebhookServer;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
    public static final String INGRESS_IDLE_TIMEOUT_MS = "INGRESS_IDLE_TIMEOUT_MS";
    public static final String INGRESS_HEADER_TIMEOUT_MS = "INGRESS_HEADER_TIMEOUT_MS";
    public static final String INGRESS_BODY_TIMEOUT_MS = "INGRESS_BODY_TIMEOUT_MS";
    public static final String INGRESS_MIN_REQUEST_DATA_RATE = "INGRESS_MIN_REQUEST_DATA_RATE";
    public static final String INGRESS_MAX_CONNECTIONS_PER_ADDRESS = "INGRESS_MAX_CONNECTIONS_PER_ADDRESS";
    public static final String INGRESS_MAX_CONNECTIONS = "INGRESS_MAX_CONNECTIONS";
    public static final String INGRESS_ALLOWED_CIDRS = "INGRESS_ALLOWED_CIDRS";
    public static final String INGRESS_TRUST_FORWARDED_FOR = "INGRESS_TRUST_FORWARDED_FOR";
    public static final String INGRESS_TRUSTED_PROXY_CIDRS = "INGRESS_TRUSTED_PROXY_CIDRS";
    public static final String INGRESS_REQUIRED_HEADER_NAME = "INGRESS_REQUIRED_HEADER_NAME";
    public static final String INGRESS_REQUIRED_HEADER_VALUE = "INGRESS_REQUIRED_HEADER_VALUE";
    public static final String INGRESS_TLS_KEYSTORE_PATH = "INGRESS_TLS_KEYSTORE_PATH";
    public static final String INGRESS_TLS_KEYSTORE_PASSWORD = "INGRESS_TLS_KEYSTORE_PASSWORD";
    public static final String INGRESS_TLS_KEYSTORE_TYPE = "INGRESS_TLS_KEYSTORE_TYPE";
    public static final String INGRESS_TLS_TRUSTSTORE_PATH = "INGRESS_TLS_TRUSTSTORE_PATH";
    public static final String INGRESS_TLS_TRUSTSTORE_PASSWORD = "INGRESS_TLS_TRUSTSTORE_PASSWORD";
    public static final String INGRESS_TLS_CLIENT_AUTH = "INGRESS_TLS_CLIENT_AUTH";

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MANAGEMENT_PORT = 8081;
    public static final String DEFAULT_TRIGGERS_PATH = "./triggers";
    public static final long DEFAULT_TRIGGERS_RELOAD_INTERVAL_MS = 5_000;
    public static final long DEFAULT_MAX_BODY_BYTES = 1_048_576;
    public static final long DEFAULT_PUBLISH_TIMEOUT_MS = 3_000;
    public static final long DEFAULT_READINESS_CHECK_INTERVAL_MS = 5_000;
    public static final int DEFAULT_RAW_TOPIC_PARTITIONS = 3;
    public static final long DEFAULT_RAW_TOPIC_RETENTION_MS = 2_592_000_000L;
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;

    /** PagerDuty gives up on a delivery after 5 s; the publish bound must leave room to answer. */
    public static final long PAGERDUTY_DEADLINE_MS = 5_000;
    /** PagerDuty sends at most 256 KB; a smaller limit is allowed (tests, tight setups) but warned about. */
    public static final long PAGERDUTY_MAX_BODY_BYTES = 256 * 1024;
    /** Smallest limit accepted: a PagerDuty event is never smaller than this. */
    public static final long MIN_BODY_BYTES = 1024;
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
            .define(RAW_TOPIC_REPLICATION, Type.SHORT, null, (name, value) -> {
                        if (value != null) {
                            Range.between(1, 32).ensureValid(name, value);
                        }
                    },
                    Importance.LOW, "Older name of TOPIC_REPLICATION (replication of every topic created; unset ="
                            + " min(3, brokers)), read when TOPIC_REPLICATION is unset.")
            .define(RAW_TOPIC_RETENTION_MS, Type.LONG, DEFAULT_RAW_TOPIC_RETENTION_MS, IngressConfig::validRetention,
                    Importance.MEDIUM, "retention.ms of the raw topic when the ingress creates it (-1 = forever); "
                            + "replay can go back this far.")
            .define(INGRESS_IDLE_TIMEOUT_MS, Type.LONG, DEFAULT_IDLE_TIMEOUT_MS, Range.between(100, 600_000),
                    Importance.LOW, "A webhook connection silent this long (e.g. a client that sends headers and "
                            + "stalls) is closed.")
            .define(INGRESS_HEADER_TIMEOUT_MS, Type.LONG, SlowClientLimits.DEFAULT_HEADER_TIMEOUT.toMillis(),
                    Range.between(100, 600_000), Importance.LOW, "Longest time from the first byte of a request to the "
                            + "end of its headers (and for a TLS handshake); past it the connection is closed. "
                            + "PagerDuty sends its headers at once.")
            .define(INGRESS_BODY_TIMEOUT_MS, Type.LONG, SlowClientLimits.DEFAULT_BODY_TIMEOUT.toMillis(),
                    Range.between(100, 600_000), Importance.LOW, "Longest time from the end of the headers to the last "
                            + "byte of the body; past it the answer is 408 and the connection is closed. PagerDuty "
                            + "gives up after 5 s, so a later body could not be answered in time anyway.")
            .define(INGRESS_MIN_REQUEST_DATA_RATE, Type.LONG, SlowClientLimits.DEFAULT_MIN_REQUEST_DATA_RATE,
                    Range.between(0, 1L << 30), Importance.LOW, "Bytes per second a request body must keep up, "
                            + "averaged from its first byte (Jetty's minimum request data rate); below it the answer "
                            + "is 408 and the connection is closed. 0 (the default) = not checked: Jetty averages from the "
                            + "first byte, so tiny bodies would look slow; the body deadline bounds slow bodies.")
            .define(INGRESS_MAX_CONNECTIONS_PER_ADDRESS, Type.INT,
                    SlowClientLimits.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, Range.between(0, 1_000_000), Importance.LOW,
                    "Open webhook connections one client address may hold; more are closed as they open. The "
                            + "address is the TCP peer (behind a reverse proxy: the proxy). 0 = no bound.")
            .define(INGRESS_MAX_CONNECTIONS, Type.INT, SlowClientLimits.DEFAULT_MAX_CONNECTIONS,
                    Range.between(1, 1_000_000), Importance.LOW, "Open webhook connections in all; at the bound the "
                            + "listener stops accepting until one closes. Keep it below the open-file limit.")
            .define(INGRESS_ALLOWED_CIDRS, Type.STRING, "", IngressConfig::validCidrs, Importance.LOW,
                    "Optional: comma-separated IPv4/IPv6 CIDR blocks allowed to call the webhook; others get 403. "
                            + "Empty = any address (the signature still decides).")
            .define(INGRESS_TRUST_FORWARDED_FOR, Type.BOOLEAN, false, Importance.LOW,
                    "Optional: take the client address from X-Forwarded-For (right-most entry that is not a trusted "
                            + "proxy), only for requests from " + INGRESS_TRUSTED_PROXY_CIDRS + ".")
            .define(INGRESS_TRUSTED_PROXY_CIDRS, Type.STRING, "", IngressConfig::validCidrs, Importance.LOW,
                    "CIDR blocks of the reverse proxies whose X-Forwarded-For is believed.")
            .define(INGRESS_REQUIRED_HEADER_NAME, Type.STRING, null, IngressConfig::validHeaderName, Importance.LOW,
                    "Optional: a header every delivery must carry (set it as a custom header of the PagerDuty "
                            + "subscription); missing or wrong = 403.")
            .define(INGRESS_REQUIRED_HEADER_VALUE, Type.PASSWORD, null, Importance.LOW,
                    "The exact value of " + INGRESS_REQUIRED_HEADER_NAME + " (compared in constant time, never logged).")
            .define(INGRESS_TLS_KEYSTORE_PATH, Type.STRING, null, Importance.LOW,
                    "Optional: serve the webhook over HTTPS with this keystore (key and certificate chain).")
            .define(INGRESS_TLS_KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.LOW,
                    "Password of the keystore.")
            .define(INGRESS_TLS_KEYSTORE_TYPE, Type.STRING, "PKCS12",
                    ConfigDef.CaseInsensitiveValidString.in("PKCS12", "JKS"), Importance.LOW,
                    "Type of the keystore and truststore.")
            .define(INGRESS_TLS_TRUSTSTORE_PATH, Type.STRING, null, Importance.LOW,
                    "Optional: CAs that client certificates must chain to (mutual TLS).")
            .define(INGRESS_TLS_TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.LOW,
                    "Password of the truststore.")
            .define(INGRESS_TLS_CLIENT_AUTH, Type.STRING, "none",
                    ConfigDef.CaseInsensitiveValidString.in("none", "want", "need"), Importance.LOW,
                    "Client certificates: none, want (asked for) or need (required; needs a truststore).");

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
    private final TopicPlan topicPlan;
    private final long rawTopicRetentionMs;
    private final TopicCatalogue topics;
    private final Properties kafkaProperties;
    private final Duration idleTimeout;
    private final SlowClientLimits slowClientLimits;
    private final List<Cidr> allowedCidrs;
    private final boolean trustForwardedFor;
    private final List<Cidr> trustedProxies;
    private final String requiredHeaderName;
    private final String requiredHeaderValue;
    private final WebhookServer.Tls tls;

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
        this.topicPlan = TopicPlan.fromEnv(env);
        this.idleTimeout = Duration.ofMillis((Long) values.get(INGRESS_IDLE_TIMEOUT_MS));
        if (idleTimeout.compareTo(publishTimeout.plusSeconds(1)) < 0) {
            // the connection is silent while the ingress waits for Kafka: a shorter idle timeout would cut it
            throw new ConfigException(INGRESS_IDLE_TIMEOUT_MS, idleTimeout.toMillis(), "must be at least "
                    + PUBLISH_TIMEOUT_MS + " + 1000 (" + (publishTimeout.toMillis() + 1000) + ")");
        }
        this.slowClientLimits = new SlowClientLimits(
                Duration.ofMillis((Long) values.get(INGRESS_HEADER_TIMEOUT_MS)),
                Duration.ofMillis((Long) values.get(INGRESS_BODY_TIMEOUT_MS)),
                (Long) values.get(INGRESS_MIN_REQUEST_DATA_RATE),
                (Integer) values.get(INGRESS_MAX_CONNECTIONS_PER_ADDRESS),
                (Integer) values.get(INGRESS_MAX_CONNECTIONS));
        this.allowedCidrs = Cidr.parseList((String) values.get(INGRESS_ALLOWED_CIDRS));
        this.trustForwardedFor = (Boolean) values.get(INGRESS_TRUST_FORWARDED_FOR);
        this.trustedProxies = Cidr.parseList((String) values.get(INGRESS_TRUSTED_PROXY_CIDRS));
        if (trustForwardedFor && trustedProxies.isEmpty()) {
            throw new ConfigException(INGRESS_TRUSTED_PROXY_CIDRS, "", "must name the reverse proxies when "
                    + INGRESS_TRUST_FORWARDED_FOR + "=true (X-Forwarded-For from anyone else is ignored)");
        }
        if (trustForwardedFor && allowedCidrs.isEmpty()) {
            throw new ConfigException(INGRESS_TRUST_FORWARDED_FOR, true, "only matters with "
                    + INGRESS_ALLOWED_CIDRS + " set; set both or neither");
        }
        this.requiredHeaderName = (String) values.get(INGRESS_REQUIRED_HEADER_NAME);
        this.requiredHeaderValue = password(values.get(INGRESS_REQUIRED_HEADER_VALUE));
        if ((requiredHeaderName == null) != (requiredHeaderValue == null)) {
            throw new ConfigException(requiredHeaderName == null ? INGRESS_REQUIRED_HEADER_NAME
                    : INGRESS_REQUIRED_HEADER_VALUE, null, "set both " + INGRESS_REQUIRED_HEADER_NAME + " and "
                    + INGRESS_REQUIRED_HEADER_VALUE + ", or neither");
        }
        this.tls = tls(values);
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

    /** How the raw topic (and every other) is created. */
    public TopicPlan topicPlan() {
        return topicPlan;
    }

    public long rawTopicRetentionMs() {
        return rawTopicRetentionMs;
    }

    public TopicCatalogue topics() {
        return topics;
    }

    /** How long a webhook connection may stay silent before it is closed. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Deadlines and connection bounds against slow or numerous clients. */
    public SlowClientLimits slowClientLimits() {
        return slowClientLimits;
    }

    /** Client address blocks allowed; empty = any. */
    public List<Cidr> allowedCidrs() {
        return allowedCidrs;
    }

    public boolean trustForwardedFor() {
        return trustForwardedFor;
    }

    public List<Cidr> trustedProxies() {
        return trustedProxies;
    }

    /** The header every delivery must carry, if configured. */
    public Optional<String> requiredHeaderName() {
        return Optional.ofNullable(requiredHeaderName);
    }

    /** Its value: a secret, for the access guard only. */
    String requiredHeaderValue() {
        return requiredHeaderValue;
    }

    /** TLS settings of the webhook listener, when HTTPS is configured. */
    public Optional<WebhookServer.Tls> tls() {
        return Optional.ofNullable(tls);
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
                + ", publishTimeout=" + publishTimeout.toMillis() + "ms, idleTimeout=" + idleTimeout.toMillis()
                + "ms, headerTimeout=" + slowClientLimits.headerTimeout().toMillis() + "ms, bodyTimeout="
                + slowClientLimits.bodyTimeout().toMillis() + "ms, minRequestDataRate="
                + slowClientLimits.minRequestDataRate() + "B/s, maxConnectionsPerAddress="
                + slowClientLimits.maxConnectionsPerAddress() + ", maxConnections=" + slowClientLimits.maxConnections()
                + ", tls=" + (tls == null ? "off" : tls.clientAuth().name().toLowerCase(java.util.Locale.ROOT))
                + ", allowedCidrs=" + allowedCidrs + ", requiredHeader="
                + (requiredHeaderName == null ? "none" : requiredHeaderName) + "]";
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

    private static WebhookServer.Tls tls(Map<String, Object> values) {
        String keystore = (String) values.get(INGRESS_TLS_KEYSTORE_PATH);
        String truststore = (String) values.get(INGRESS_TLS_TRUSTSTORE_PATH);
        WebhookServer.ClientAuth clientAuth = WebhookServer.ClientAuth.parse((String) values.get(INGRESS_TLS_CLIENT_AUTH));
        if (keystore == null) {
            if (truststore != null || clientAuth != WebhookServer.ClientAuth.NONE
                    || values.get(INGRESS_TLS_KEYSTORE_PASSWORD) != null) {
                throw new ConfigException(INGRESS_TLS_KEYSTORE_PATH, null, "is required when any other INGRESS_TLS_* "
                        + "variable is set");
            }
            return null;
        }
        String password = password(values.get(INGRESS_TLS_KEYSTORE_PASSWORD));
        if (password == null) {
            throw new ConfigException(INGRESS_TLS_KEYSTORE_PASSWORD, null, "is required with "
                    + INGRESS_TLS_KEYSTORE_PATH);
        }
        if (clientAuth != WebhookServer.ClientAuth.NONE && truststore == null) {
            throw new ConfigException(INGRESS_TLS_TRUSTSTORE_PATH, null, "is required with "
                    + INGRESS_TLS_CLIENT_AUTH + "=" + clientAuth.name().toLowerCase(java.util.Locale.ROOT));
        }
        Path truststorePath = truststore == null ? null : readableFile(INGRESS_TLS_TRUSTSTORE_PATH, truststore);
        String truststorePassword = password(values.get(INGRESS_TLS_TRUSTSTORE_PASSWORD));
        if (truststorePath != null && truststorePassword == null) {
            throw new ConfigException(INGRESS_TLS_TRUSTSTORE_PASSWORD, null, "is required with "
                    + INGRESS_TLS_TRUSTSTORE_PATH);
        }
        return new WebhookServer.Tls(readableFile(INGRESS_TLS_KEYSTORE_PATH, keystore), password,
                ((String) values.get(INGRESS_TLS_KEYSTORE_TYPE)).toUpperCase(java.util.Locale.ROOT), truststorePath,
                truststorePassword, clientAuth);
    }

    private static Path readableFile(String name, String value) {
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw new ConfigException(name, value, "not a valid path: " + e.getReason());
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ConfigException(name, value, "is not a readable file (absolute: " + path.toAbsolutePath() + ")");
        }
        return path;
    }

    private static String password(Object value) {
        return value == null ? null : ((org.apache.kafka.common.config.types.Password) value).value();
    }

    private static void validCidrs(String name, Object value) {
        try {
            Cidr.parseList((String) value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name, value, e.getMessage());
        }
    }

    private static void validHeaderName(String name, Object value) {
        if (value != null && !((String) value).matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
            throw new ConfigException(name, value, "is not a valid HTTP header name");
        }
    }

    private static void validRetention(String name, Object value) {
        long ms = (Long) value;
        if (ms != -1 && ms < 60_000) {
            throw new ConfigException(name, value, "must be -1 (keep forever) or at least 60000 ms");
        }
    }
}
