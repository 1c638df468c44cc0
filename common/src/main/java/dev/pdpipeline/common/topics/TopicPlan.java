package dev.pdpipeline.common.topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How every topic of the pipeline is created: name, partitions, replication and configs, read
 * once from the environment. The ingress, the processor, the notes writer and
 * {@code bin/pipeline topics ensure} all create topics from this plan, so a topic gets the same
 * settings whichever of them creates it first.
 *
 * <p>Durable by default: replication is {@code min(3, brokers)} unless {@value #TOPIC_REPLICATION}
 * says otherwise, and {@code min.insync.replicas=2} is set wherever replication is 3 or more, so
 * that {@code acks=all} means "on two brokers at least". One variable per setting; older names are
 * read as aliases when the new one is unset (see {@link #ALIASES}).
 */
public final class TopicPlan {

    private static final Logger LOG = LoggerFactory.getLogger(TopicPlan.class);

    /** Replication factor of every topic the pipeline creates; unset = {@code min(3, brokers)}. */
    public static final String TOPIC_REPLICATION = "TOPIC_REPLICATION";
    /** {@code min.insync.replicas} of created topics; unset = 2 where replication >= 3, else broker default. */
    public static final String TOPIC_MIN_INSYNC_REPLICAS = "TOPIC_MIN_INSYNC_REPLICAS";
    /** Partitions of the raw, raw dead-letter, decisions and re-drive topics. */
    public static final String RAW_TOPIC_PARTITIONS = "RAW_TOPIC_PARTITIONS";
    /** Partitions of the results, results dead-letter, request-log and ledger topics. */
    public static final String NOTES_TOPIC_PARTITIONS = "NOTES_TOPIC_PARTITIONS";
    /** Partitions of agent request topics; 0 = as many as the raw topic has. */
    public static final String AGENT_TOPIC_PARTITIONS = "AGENT_TOPIC_PARTITIONS";
    /** {@code retention.ms} of the raw and raw dead-letter topics (-1 = forever). */
    public static final String RAW_TOPIC_RETENTION_MS = "RAW_TOPIC_RETENTION_MS";
    /** {@code retention.ms} of the decisions topic; unset = {@value #RAW_TOPIC_RETENTION_MS}. */
    public static final String DECISIONS_TOPIC_RETENTION_MS = "DECISIONS_TOPIC_RETENTION_MS";
    /**
     * {@code retention.ms} of the request log ({@code compact,delete}): a request older than
     * this is forgotten, and a result for it is dead-lettered as {@code unknown_request}.
     */
    public static final String REQUEST_LOG_RETENTION_MS = "REQUEST_LOG_RETENTION_MS";
    /**
     * {@code retention.ms} of the results ledger ({@code compact,delete}); unset = as
     * {@value #REQUEST_LOG_RETENTION_MS}. Keep it at least as long as the results topic keeps
     * records, so a result read again still finds its {@code done}.
     */
    public static final String RESULTS_LEDGER_RETENTION_MS = "RESULTS_LEDGER_RETENTION_MS";
    /** The ingress's body limit; the raw topics take records this large plus room for headers. */
    public static final String MAX_BODY_BYTES = "MAX_BODY_BYTES";

    /** Old names still read when the setting's own name is unset: setting -> aliases, in order. */
    public static final Map<String, List<String>> ALIASES = Map.of(
            TOPIC_REPLICATION, List.of("RAW_TOPIC_REPLICATION", "NOTES_TOPIC_REPLICATION", "AGENT_TOPIC_REPLICATION"));

    public static final int DEFAULT_PARTITIONS = 3;
    public static final long DEFAULT_RAW_RETENTION_MS = 2_592_000_000L;
    /**
     * 30 days: longer than a request can wait for its answer (agent topics, results and the
     * results DLQ keep 7 days each by the broker's default, so a result can come back up to
     * about 21 days after its request at worst) and as long as the raw topic, the replay window.
     */
    public static final long DEFAULT_REQUEST_LOG_RETENTION_MS = 2_592_000_000L;
    /** {@code compact,delete}: the latest value per key, and none older than {@code retention.ms}. */
    public static final String COMPACT_DELETE = TopicConfig.CLEANUP_POLICY_COMPACT + ","
            + TopicConfig.CLEANUP_POLICY_DELETE;
    public static final long DEFAULT_MAX_BODY_BYTES = 1_048_576L;
    /** Room for key, headers and batch framing on top of the largest body. */
    public static final long RECORD_OVERHEAD_BYTES = 64 * 1024;
    /** Replication the plan aims for, and the least a durable topic should have on 3+ brokers. */
    public static final int DURABLE_REPLICATION = 3;
    /** {@code min.insync.replicas} set where replication is at least {@value #DURABLE_REPLICATION}. */
    public static final int DURABLE_MIN_INSYNC = 2;

    /** What a topic is for; {@code durable} roles are checked for replication and min ISR at start. */
    public enum Role {
        RAW("raw", true),
        RAW_DEAD_LETTER("raw-dlq", false),
        DECISIONS("decisions", false),
        REDRIVES("redrives", false),
        RESULTS("results", true),
        RESULTS_DEAD_LETTER("results-dlq", false),
        REQUEST_LOG("request-log", true),
        LEDGER("ledger", true),
        AGENT("agent", true);

        private final String id;
        private final boolean durable;

        Role(String id, boolean durable) {
            this.id = id;
            this.durable = durable;
        }

        /** Short name, as printed by {@code topics plan}. */
        public String id() {
            return id;
        }

        /** Whether losing this topic's records loses deliveries or writes twice. */
        public boolean durable() {
            return durable;
        }
    }

    /** One topic as it is to be created. */
    public record Spec(Role role, String name, int partitions, short replication, Map<String, String> configs) {
        public Spec {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(name, "name");
            configs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(configs));
        }

        public NewTopic toNewTopic() {
            return new NewTopic(name, partitions, replication).configs(configs);
        }
    }

    private final TopicCatalogue catalogue;
    private final OptionalInt replication;
    private final OptionalInt minInsync;
    private final int rawPartitions;
    private final int notesPartitions;
    private final int agentPartitions;
    private final long rawRetentionMs;
    private final long decisionsRetentionMs;
    private final long maxMessageBytes;
    private final long requestLogRetentionMs;
    private final long ledgerRetentionMs;

    private TopicPlan(TopicCatalogue catalogue, OptionalInt replication, OptionalInt minInsync, int rawPartitions,
            int notesPartitions, int agentPartitions, long rawRetentionMs, long decisionsRetentionMs,
            long maxMessageBytes, long requestLogRetentionMs, long ledgerRetentionMs) {
        this.catalogue = catalogue;
        this.replication = replication;
        this.minInsync = minInsync;
        this.rawPartitions = rawPartitions;
        this.notesPartitions = notesPartitions;
        this.agentPartitions = agentPartitions;
        this.rawRetentionMs = rawRetentionMs;
        this.decisionsRetentionMs = decisionsRetentionMs;
        this.maxMessageBytes = maxMessageBytes;
        this.requestLogRetentionMs = requestLogRetentionMs;
        this.ledgerRetentionMs = ledgerRetentionMs;
    }

    /** The plan with every default. */
    public static TopicPlan defaults() {
        return fromEnv(Map.of());
    }

    /**
     * Reads the plan; blank values count as unset.
     *
     * @throws ConfigException naming the variable when a value is invalid, or when two aliases of
     *                         one setting disagree while the setting's own name is unset
     */
    public static TopicPlan fromEnv(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        TopicCatalogue catalogue;
        try {
            catalogue = TopicCatalogue.fromEnv(env);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        OptionalInt replication = optionalInt(env, TOPIC_REPLICATION, 1, 32);
        OptionalInt minInsync = optionalInt(env, TOPIC_MIN_INSYNC_REPLICAS, 1, 32);
        if (replication.isPresent() && minInsync.isPresent() && minInsync.getAsInt() > replication.getAsInt()) {
            throw new ConfigException(TOPIC_MIN_INSYNC_REPLICAS, minInsync.getAsInt(),
                    "must not exceed " + TOPIC_REPLICATION + "=" + replication.getAsInt()
                            + ": no write with acks=all could succeed");
        }
        int raw = optionalInt(env, RAW_TOPIC_PARTITIONS, 1, 10_000).orElse(DEFAULT_PARTITIONS);
        int notes = optionalInt(env, NOTES_TOPIC_PARTITIONS, 1, 10_000).orElse(DEFAULT_PARTITIONS);
        int agent = optionalInt(env, AGENT_TOPIC_PARTITIONS, 0, 10_000).orElse(0);
        long rawRetention = retention(env, RAW_TOPIC_RETENTION_MS, DEFAULT_RAW_RETENTION_MS);
        long decisionsRetention = retention(env, DECISIONS_TOPIC_RETENTION_MS, rawRetention);
        long maxBody = optionalLong(env, MAX_BODY_BYTES, 1, Long.MAX_VALUE / 2).orElse(DEFAULT_MAX_BODY_BYTES);
        long requestLogRetention = retention(env, REQUEST_LOG_RETENTION_MS, DEFAULT_REQUEST_LOG_RETENTION_MS);
        long ledgerRetention = retention(env, RESULTS_LEDGER_RETENTION_MS, requestLogRetention);
        if (ledgerRetention != -1 && (requestLogRetention == -1 || ledgerRetention < requestLogRetention)) {
            // a result is written only while its request is known; its 'done' must last as long
            throw new ConfigException(RESULTS_LEDGER_RETENTION_MS, ledgerRetention, "must not be shorter than "
                    + REQUEST_LOG_RETENTION_MS + "=" + requestLogRetention + ": a result read again after its "
                    + "ledger entry expired, while its request is still known, would be written twice");
        }
        return new TopicPlan(catalogue, replication, minInsync, raw, notes, agent, rawRetention, decisionsRetention,
                maxBody + RECORD_OVERHEAD_BYTES, requestLogRetention, ledgerRetention);
    }

    /** The topic names in force. */
    public TopicCatalogue catalogue() {
        return catalogue;
    }

    /** The replication factor set by {@value #TOPIC_REPLICATION} (or an alias), if any. */
    public OptionalInt explicitReplication() {
        return replication;
    }

    /** The replication factor on a cluster of {@code brokers}: the setting, else {@code min(3, brokers)}. */
    public short replication(int brokers) {
        if (replication.isPresent()) {
            return (short) replication.getAsInt();
        }
        return (short) Math.max(1, Math.min(DURABLE_REPLICATION, brokers));
    }

    /** The {@code min.insync.replicas} given to topics of {@code replication}; empty = broker default. */
    public OptionalInt minInsync(short replication) {
        if (minInsync.isPresent()) {
            return OptionalInt.of(Math.min(minInsync.getAsInt(), replication));
        }
        return replication >= DURABLE_REPLICATION ? OptionalInt.of(DURABLE_MIN_INSYNC) : OptionalInt.empty();
    }

    public int rawPartitions() {
        return rawPartitions;
    }

    public int notesPartitions() {
        return notesPartitions;
    }

    /** The {@value #AGENT_TOPIC_PARTITIONS} setting; 0 = as many as the raw topic. */
    public int agentPartitionsSetting() {
        return agentPartitions;
    }

    /** Partitions of a new agent topic, given the raw topic's actual partition count. */
    public int agentPartitions(int actualRawPartitions) {
        return agentPartitions > 0 ? agentPartitions : actualRawPartitions;
    }

    public long rawRetentionMs() {
        return rawRetentionMs;
    }

    /** {@code retention.ms} of the request log (-1 = forever). */
    public long requestLogRetentionMs() {
        return requestLogRetentionMs;
    }

    /** {@code retention.ms} of the results ledger (-1 = forever). */
    public long ledgerRetentionMs() {
        return ledgerRetentionMs;
    }

    /** {@code max.message.bytes} of the raw topics: the body limit plus room for headers. */
    public long maxMessageBytes() {
        return maxMessageBytes;
    }

    /** One fixed topic of the plan on a cluster of {@code brokers}. */
    public Spec topic(Role role, int brokers) {
        Objects.requireNonNull(role, "role");
        Map<String, String> configs = new LinkedHashMap<>();
        String name;
        int partitions;
        switch (role) {
            case RAW -> {
                name = catalogue.raw();
                partitions = rawPartitions;
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
                configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(rawRetentionMs));
                configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Long.toString(maxMessageBytes));
            }
            case RAW_DEAD_LETTER -> {
                name = catalogue.deadLetter();
                partitions = rawPartitions;
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
                configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(rawRetentionMs));
                configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Long.toString(maxMessageBytes));
            }
            case DECISIONS -> {
                name = catalogue.decisions();
                partitions = rawPartitions;
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
                configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(decisionsRetentionMs));
            }
            case REDRIVES -> {
                name = catalogue.redrives();
                partitions = rawPartitions;
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            }
            case RESULTS -> {
                name = catalogue.results();
                partitions = notesPartitions;
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
            }
            case RESULTS_DEAD_LETTER -> {
                name = catalogue.resultsDeadLetter();
                partitions = notesPartitions;
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
            }
            case REQUEST_LOG -> {
                name = catalogue.requestLog();
                partitions = notesPartitions;
                retained(configs, requestLogRetentionMs);
            }
            case LEDGER -> {
                name = catalogue.resultsLedger();
                partitions = notesPartitions;
                retained(configs, ledgerRetentionMs);
            }
            case AGENT -> throw new IllegalArgumentException("agent topics are planned with agentTopic(...)");
            default -> throw new IllegalArgumentException("unknown role " + role);
        }
        return withReplication(role, name, partitions, configs, brokers);
    }

    /** Compacted, and with a horizon unless kept forever (-1: plain {@code compact}). */
    private static void retained(Map<String, String> configs, long retentionMs) {
        if (retentionMs == -1) {
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        } else {
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, COMPACT_DELETE);
            configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs));
        }
    }

    /** Every fixed topic (not the agent topics), in the order of {@link Role}. */
    public List<Spec> fixedTopics(int brokers) {
        return topics(brokers, List.of(Role.RAW, Role.RAW_DEAD_LETTER, Role.DECISIONS, Role.REDRIVES, Role.RESULTS,
                Role.RESULTS_DEAD_LETTER, Role.REQUEST_LOG, Role.LEDGER));
    }

    /** The given fixed topics. */
    public List<Spec> topics(int brokers, Collection<Role> roles) {
        List<Spec> out = new ArrayList<>();
        for (Role role : roles) {
            out.add(topic(role, brokers));
        }
        return out;
    }

    /**
     * The request topic of an agent.
     *
     * @param topic              the topic's name ({@link TopicCatalogue#agentTopic})
     * @param actualRawPartitions partitions of the raw topic, used when {@value #AGENT_TOPIC_PARTITIONS} is 0
     */
    public Spec agentTopic(String topic, int actualRawPartitions, int brokers) {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
        return withReplication(Role.AGENT, topic, agentPartitions(actualRawPartitions), configs, brokers);
    }

    private Spec withReplication(Role role, String name, int partitions, Map<String, String> configs, int brokers) {
        short rf = replication(brokers);
        minInsync(rf).ifPresent(n -> configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(n)));
        return new Spec(role, name, partitions, rf, configs);
    }

    /**
     * How many brokers the cluster has (Admin {@code describeCluster}).
     *
     * @throws IllegalStateException when the cluster does not answer within {@code timeout}
     */
    public static int brokerCount(Admin admin, Duration timeout) {
        Objects.requireNonNull(admin, "admin");
        try {
            return admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) Math.min(Integer.MAX_VALUE,
                    timeout.toMillis()))).nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking Kafka for its brokers", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka did not tell its brokers within " + timeout.toMillis() + " ms: "
                    + (e instanceof ExecutionException ? e.getCause() : e), e);
        }
    }

    @Override
    public String toString() {
        return "TopicPlan[replication=" + (replication.isPresent() ? replication.getAsInt() : "min(3, brokers)")
                + ", minInsync=" + (minInsync.isPresent() ? minInsync.getAsInt() : "2 where replication >= 3")
                + ", rawPartitions=" + rawPartitions + ", notesPartitions=" + notesPartitions
                + ", agentPartitions=" + (agentPartitions == 0 ? "as raw" : agentPartitions)
                + ", rawRetentionMs=" + rawRetentionMs + ", decisionsRetentionMs=" + decisionsRetentionMs
                + ", requestLogRetentionMs=" + requestLogRetentionMs + ", ledgerRetentionMs=" + ledgerRetentionMs
                + ", maxMessageBytes=" + maxMessageBytes + "]";
    }

    /** The value of {@code name}, else of its first alias that is set; trimmed, null when unset. */
    static String lookup(Map<String, String> env, String name) {
        String own = blankToNull(env.get(name));
        List<String> aliases = ALIASES.getOrDefault(name, List.of());
        String chosen = own;
        String chosenFrom = name;
        for (String alias : aliases) {
            String value = blankToNull(env.get(alias));
            if (value == null) {
                continue;
            }
            if (chosen == null) {
                chosen = value;
                chosenFrom = alias;
            } else if (!chosen.equals(value)) {
                if (own != null) {
                    LOG.warn("{}={} is used; the older {}={} is ignored", name, own, alias, value);
                } else {
                    throw new ConfigException(alias, value, "disagrees with " + chosenFrom + "=" + chosen
                            + "; both are older names of " + name + ": set " + name + " instead");
                }
            }
        }
        return chosen;
    }

    private static OptionalInt optionalInt(Map<String, String> env, String name, int min, int max) {
        String value = lookup(env, name);
        if (value == null) {
            return OptionalInt.empty();
        }
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                throw new ConfigException(name, value, "must be between " + min + " and " + max);
            }
            return OptionalInt.of(n);
        } catch (NumberFormatException e) {
            throw new ConfigException(name, value, "must be a whole number");
        }
    }

    private static java.util.OptionalLong optionalLong(Map<String, String> env, String name, long min, long max) {
        String value = lookup(env, name);
        if (value == null) {
            return java.util.OptionalLong.empty();
        }
        try {
            long n = Long.parseLong(value);
            if (n < min || n > max) {
                throw new ConfigException(name, value, "must be between " + min + " and " + max);
            }
            return java.util.OptionalLong.of(n);
        } catch (NumberFormatException e) {
            throw new ConfigException(name, value, "must be a whole number");
        }
    }

    private static long retention(Map<String, String> env, String name, long fallback) {
        long ms = optionalLong(env, name, -1, Long.MAX_VALUE).orElse(fallback);
        if (ms != -1 && ms < 60_000) {
            throw new ConfigException(name, ms, "must be -1 (keep forever) or at least 60000 ms");
        }
        return ms;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
