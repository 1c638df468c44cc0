package dev.pdpipeline.examples.agent;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The example agent's configuration, read from environment variables (a map, so tests and the
 * local run can pass their own). The variable names match the pipeline's, so one environment
 * configures both.
 *
 * @param clientProperties Kafka client properties from {@code KAFKA_*} variables
 *                         ({@code KAFKA_SECURITY_PROTOCOL} → {@code security.protocol}), for
 *                         TLS/SASL clusters; {@code bootstrap.servers} is always set
 */
public record AgentSettings(String agentName, String requestTopic, String groupId, String resultsTopic,
        Properties clientProperties) {

    /** The agent's name: the {@code spec.agent} of the Triggers that route to it. */
    public static final String AGENT_NAME_ENV = "AGENT_NAME";
    public static final String DEFAULT_AGENT_NAME = "diagnostic-agent";
    /** The request topic template; {@code {agent}} is replaced by the agent's name. */
    public static final String AGENT_TOPIC_TEMPLATE_ENV = "AGENT_TOPIC_TEMPLATE";
    public static final String DEFAULT_AGENT_TOPIC_TEMPLATE = "agent.{agent}.requests";
    /** The consumer group; default {@code example-<agent>}. */
    public static final String AGENT_GROUP_ID_ENV = "AGENT_GROUP_ID";
    /** Where results go. */
    public static final String RESULTS_TOPIC_ENV = "RESULTS_TOPIC";
    public static final String DEFAULT_RESULTS_TOPIC = "agent.results";
    public static final String BOOTSTRAP_SERVERS_ENV = "KAFKA_BOOTSTRAP_SERVERS";
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";

    private static final Pattern LEGAL_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    /** Variables of Kafka's shell scripts, not client properties. */
    private static final Set<String> NOT_CLIENT_PROPERTIES = Set.of("KAFKA_HOME", "KAFKA_OPTS", "KAFKA_HEAP_OPTS",
            "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_JMX_OPTS", "KAFKA_DEBUG", "KAFKA_GC_LOG_OPTS");

    public AgentSettings {
        Objects.requireNonNull(agentName, "agentName");
        Objects.requireNonNull(groupId, "groupId");
        requireTopic(AGENT_TOPIC_TEMPLATE_ENV, requestTopic);
        requireTopic(RESULTS_TOPIC_ENV, resultsTopic);
        Properties copy = new Properties();
        copy.putAll(Objects.requireNonNull(clientProperties, "clientProperties"));
        if (copy.getProperty("bootstrap.servers") == null) {
            copy.setProperty("bootstrap.servers", DEFAULT_BOOTSTRAP_SERVERS);
        }
        clientProperties = copy;
    }

    /** Defaults for everything but the broker and the agent name. */
    public static AgentSettings of(String bootstrapServers, String agentName) {
        return fromEnv(Map.of(BOOTSTRAP_SERVERS_ENV, Objects.requireNonNull(bootstrapServers, "bootstrapServers"),
                AGENT_NAME_ENV, Objects.requireNonNull(agentName, "agentName")));
    }

    /**
     * Reads the settings; unset or blank variables take their defaults.
     *
     * @throws IllegalArgumentException naming the variable when a value cannot work
     */
    public static AgentSettings fromEnv(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        String agent = value(env, AGENT_NAME_ENV, DEFAULT_AGENT_NAME);
        String template = value(env, AGENT_TOPIC_TEMPLATE_ENV, DEFAULT_AGENT_TOPIC_TEMPLATE);
        if (!template.contains("{agent}")) {
            throw new IllegalArgumentException(AGENT_TOPIC_TEMPLATE_ENV + " must contain {agent}, got '" + template
                    + "'");
        }
        Properties client = new Properties();
        new TreeMap<>(env).forEach((name, v) -> {
            if (name.startsWith("KAFKA_") && name.length() > 6 && v != null && !v.isBlank()
                    && !NOT_CLIENT_PROPERTIES.contains(name)) {
                client.setProperty(name.substring(6).toLowerCase(Locale.ROOT).replace('_', '.'), v.trim());
            }
        });
        return new AgentSettings(agent, template.replace("{agent}", agent),
                value(env, AGENT_GROUP_ID_ENV, "example-" + agent), value(env, RESULTS_TOPIC_ENV, DEFAULT_RESULTS_TOPIC),
                client);
    }

    public String bootstrapServers() {
        return clientProperties.getProperty("bootstrap.servers");
    }

    /** A copy: {@link Properties} is mutable. */
    @Override
    public Properties clientProperties() {
        Properties copy = new Properties();
        copy.putAll(clientProperties);
        return copy;
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static void requireTopic(String variable, String topic) {
        Objects.requireNonNull(topic, variable);
        if (!LEGAL_TOPIC.matcher(topic).matches()) {
            throw new IllegalArgumentException(variable + " gives '" + topic + "', not a legal Kafka topic name"
                    + " (letters, digits, '.', '_', '-')");
        }
    }

    /** Never shows client properties: they may hold SASL passwords. */
    @Override
    public String toString() {
        return "AgentSettings[agent=" + agentName + ", requestTopic=" + requestTopic + ", groupId=" + groupId
                + ", resultsTopic=" + resultsTopic + ", bootstrap=" + bootstrapServers() + "]";
    }
}
