package dev.pdpipeline.common.topics;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Every topic the pipeline reads or writes. Immutable; built once from the configuration so that
 * no topic name is written anywhere else in the code.
 *
 * @param raw                 raw PagerDuty deliveries, as received (key: incident id)
 * @param deadLetter          raw records the processor could not handle
 * @param agentTopicTemplate  per-agent request topic, {@code {agent}} is replaced by the agent name
 * @param results             agent results to write back to PagerDuty
 * @param resultsDeadLetter   results that could not be written
 * @param requestLog          compacted: request_id → which trigger routed it (the results writer's
 *                            source for the API token and the replay write-back rule)
 * @param resultsLedger       compacted: result id → written (or being written) to PagerDuty,
 *                            so a result is never written twice across restarts
 * @param decisions           per raw event, the decision each trigger made (written in the
 *                            routing transaction; read by {@code explain} and the console)
 * @param redrives            compacted: dead-letter entry (topic/partition/offset) → re-driven,
 *                            so re-driving the same entries twice does nothing
 */
public record TopicCatalogue(
        String raw, String deadLetter, String agentTopicTemplate, String results, String resultsDeadLetter,
        String requestLog, String resultsLedger, String decisions, String redrives) {

    public static final String DEFAULT_RAW = "pagerduty.webhooks.raw";
    public static final String DEFAULT_DEAD_LETTER = "pagerduty.webhooks.dlq";
    public static final String DEFAULT_AGENT_TOPIC_TEMPLATE = "agent.{agent}.requests";
    public static final String DEFAULT_RESULTS = "agent.results";
    public static final String DEFAULT_RESULTS_DEAD_LETTER = "agent.results.dlq";
    public static final String DEFAULT_REQUEST_LOG = "pdpipeline.requests";
    public static final String DEFAULT_RESULTS_LEDGER = "pdpipeline.results.ledger";
    public static final String DEFAULT_DECISIONS = "pdpipeline.decisions";
    public static final String DEFAULT_REDRIVES = "pdpipeline.redrives";

    public static final String RAW_TOPIC_ENV = "RAW_TOPIC";
    public static final String DLQ_TOPIC_ENV = "DLQ_TOPIC";
    public static final String AGENT_TOPIC_TEMPLATE_ENV = "AGENT_TOPIC_TEMPLATE";
    public static final String RESULTS_TOPIC_ENV = "RESULTS_TOPIC";
    public static final String RESULTS_DLQ_TOPIC_ENV = "RESULTS_DLQ_TOPIC";
    public static final String REQUEST_LOG_TOPIC_ENV = "REQUEST_LOG_TOPIC";
    public static final String RESULTS_LEDGER_TOPIC_ENV = "RESULTS_LEDGER_TOPIC";
    public static final String DECISIONS_TOPIC_ENV = "DECISIONS_TOPIC";
    public static final String REDRIVES_TOPIC_ENV = "REDRIVES_TOPIC";

    /** The placeholder in {@link #agentTopicTemplate}. */
    public static final String AGENT_PLACEHOLDER = "{agent}";

    /** Kafka's own rule for topic names (legal characters, at most 249 of them). */
    private static final Pattern LEGAL_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public TopicCatalogue {
        requireLegal(RAW_TOPIC_ENV, raw);
        requireLegal(DLQ_TOPIC_ENV, deadLetter);
        requireLegal(RESULTS_TOPIC_ENV, results);
        requireLegal(RESULTS_DLQ_TOPIC_ENV, resultsDeadLetter);
        requireLegal(REQUEST_LOG_TOPIC_ENV, requestLog);
        requireLegal(RESULTS_LEDGER_TOPIC_ENV, resultsLedger);
        requireLegal(DECISIONS_TOPIC_ENV, decisions);
        requireLegal(REDRIVES_TOPIC_ENV, redrives);
        Objects.requireNonNull(agentTopicTemplate, "agentTopicTemplate");
        if (!agentTopicTemplate.contains(AGENT_PLACEHOLDER)) {
            throw new IllegalArgumentException(AGENT_TOPIC_TEMPLATE_ENV + " must contain " + AGENT_PLACEHOLDER
                    + ", got '" + agentTopicTemplate + "'");
        }
        requireLegal(AGENT_TOPIC_TEMPLATE_ENV, agentTopicTemplate.replace(AGENT_PLACEHOLDER, "agent"));
    }

    /** The first five topics given, the bookkeeping topics at their defaults. */
    public TopicCatalogue(String raw, String deadLetter, String agentTopicTemplate, String results,
            String resultsDeadLetter) {
        this(raw, deadLetter, agentTopicTemplate, results, resultsDeadLetter, DEFAULT_REQUEST_LOG,
                DEFAULT_RESULTS_LEDGER);
    }

    /** The first seven topics given, the decisions and re-drive topics at their defaults. */
    public TopicCatalogue(String raw, String deadLetter, String agentTopicTemplate, String results,
            String resultsDeadLetter, String requestLog, String resultsLedger) {
        this(raw, deadLetter, agentTopicTemplate, results, resultsDeadLetter, requestLog, resultsLedger,
                DEFAULT_DECISIONS, DEFAULT_REDRIVES);
    }

    /** The catalogue with every default name. */
    public static TopicCatalogue defaults() {
        return fromEnv(Map.of());
    }

    /** Reads the topic names from environment variables, defaults where unset or blank. */
    public static TopicCatalogue fromEnv(Map<String, String> env) {
        return new TopicCatalogue(
                value(env, RAW_TOPIC_ENV, DEFAULT_RAW),
                value(env, DLQ_TOPIC_ENV, DEFAULT_DEAD_LETTER),
                value(env, AGENT_TOPIC_TEMPLATE_ENV, DEFAULT_AGENT_TOPIC_TEMPLATE),
                value(env, RESULTS_TOPIC_ENV, DEFAULT_RESULTS),
                value(env, RESULTS_DLQ_TOPIC_ENV, DEFAULT_RESULTS_DEAD_LETTER),
                value(env, REQUEST_LOG_TOPIC_ENV, DEFAULT_REQUEST_LOG),
                value(env, RESULTS_LEDGER_TOPIC_ENV, DEFAULT_RESULTS_LEDGER),
                value(env, DECISIONS_TOPIC_ENV, DEFAULT_DECISIONS),
                value(env, REDRIVES_TOPIC_ENV, DEFAULT_REDRIVES));
    }

    /**
     * The request topic of an agent.
     *
     * @throws IllegalArgumentException when the agent name would not make a legal topic name
     */
    public String agentTopic(String agent) {
        Objects.requireNonNull(agent, "agent");
        String topic = agentTopicTemplate.replace(AGENT_PLACEHOLDER, agent);
        if (agent.isEmpty() || !LEGAL_TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException("agent name '" + agent + "' does not make a legal Kafka topic name ('"
                    + topic + "'); use letters, digits, '.', '_' and '-'");
        }
        return topic;
    }

    /** Whether {@code agent} makes a legal topic name with this template. */
    public boolean isLegalAgentName(String agent) {
        try {
            agentTopic(agent);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static void requireLegal(String setting, String topic) {
        Objects.requireNonNull(topic, setting);
        if (!LEGAL_TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException(setting + " is not a legal Kafka topic name: '" + topic + "'");
        }
    }
}
