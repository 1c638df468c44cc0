package dev.pdpipeline.common.config;

import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Kafka client properties taken from the environment, so that SASL/TLS clusters work without a
 * code change: every variable {@code KAFKA_FOO_BAR} becomes the client property {@code foo.bar}
 * ({@code KAFKA_BOOTSTRAP_SERVERS} → {@code bootstrap.servers},
 * {@code KAFKA_SECURITY_PROTOCOL=SASL_SSL} → {@code security.protocol}). Services apply their own
 * safety settings (acks, idempotence, isolation) after these, so they cannot be weakened by
 * accident.
 */
public final class KafkaClientProperties {

    /** The variable that names the brokers. */
    public static final String BOOTSTRAP_SERVERS_ENV = "KAFKA_BOOTSTRAP_SERVERS";
    /** Default brokers: the local run's embedded broker. */
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
    /** Prefix of pass-through variables. */
    public static final String PREFIX = "KAFKA_";
    /** Variables of Kafka's own shell scripts, not client properties: never passed through. */
    public static final java.util.Set<String> NOT_CLIENT_PROPERTIES = java.util.Set.of(
            "KAFKA_HOME", "KAFKA_OPTS", "KAFKA_HEAP_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_LOG4J_OPTS",
            "KAFKA_JMX_OPTS", "KAFKA_DEBUG", "KAFKA_GC_LOG_OPTS");

    private KafkaClientProperties() {
    }

    /** Client properties from {@code env}; {@code bootstrap.servers} is always set. */
    public static Properties fromEnv(Map<String, String> env) {
        Map<String, String> sorted = new TreeMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(PREFIX) && name.length() > PREFIX.length() && value != null
                    && !NOT_CLIENT_PROPERTIES.contains(name)) {
                sorted.put(name.substring(PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        Properties props = new Properties();
        props.putAll(sorted);
        String bootstrap = env.get(BOOTSTRAP_SERVERS_ENV);
        props.put("bootstrap.servers",
                bootstrap == null || bootstrap.isBlank() ? DEFAULT_BOOTSTRAP_SERVERS : bootstrap.trim());
        return props;
    }

    /** The bootstrap servers named by {@code env}, or the default. */
    public static String bootstrapServers(Map<String, String> env) {
        return fromEnv(env).getProperty("bootstrap.servers");
    }
}
