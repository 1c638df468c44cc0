package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.pagerduty.PagerDutyClient;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of the notes writer (agent results → PagerDuty), read from environment variables
 * (the keys below are the variable names) and validated at start. Documented in docs/notes.md.
 * {@link #toString()} never shows the API token.
 */
public final class NotesConfig {

    /** Whether the processor writes agent results back at all. */
    public static final String NOTES_ENABLED = "NOTES_ENABLED";
    /** Threads that call PagerDuty and write the ledger. */
    public static final String NOTES_WORKER_THREADS = "NOTES_WORKER_THREADS";
    /** How long a result whose request is not (yet) in the request log is retried. */
    public static final String NOTES_UNKNOWN_REQUEST_GRACE_MS = "NOTES_UNKNOWN_REQUEST_GRACE_MS";
    /** Longest note text written in one PagerDuty note; longer notes are split. */
    public static final String NOTES_MAX_NOTE_CHARS = "NOTES_MAX_NOTE_CHARS";
    /** Most parts one note is split into; the rest is cut off visibly. */
    public static final String NOTES_MAX_NOTE_PARTS = "NOTES_MAX_NOTE_PARTS";
    /** Results read but not finished before the consumer pauses. */
    public static final String NOTES_MAX_PENDING = "NOTES_MAX_PENDING";
    /** Partitions of the results, results DLQ, request log and ledger topics when created. */
    public static final String NOTES_TOPIC_PARTITIONS = "NOTES_TOPIC_PARTITIONS";
    /** Replication factor of those topics when created. */
    public static final String NOTES_TOPIC_REPLICATION = "NOTES_TOPIC_REPLICATION";
    /** Block cache (and write-buffer bound) of the request-log and ledger stores, in MiB. */
    public static final String NOTES_STORE_CACHE_MB = "NOTES_STORE_CACHE_MB";
    /** PagerDuty REST API base URL. */
    public static final String PAGERDUTY_API_URL = "PAGERDUTY_API_URL";
    /** Token used when the routing trigger has no {@code api_token}. */
    public static final String PAGERDUTY_API_TOKEN = "PAGERDUTY_API_TOKEN";
    /** From email used when neither the result nor the trigger names one. */
    public static final String PAGERDUTY_FROM_EMAIL = "PAGERDUTY_FROM_EMAIL";
    /** Most PagerDuty calls per minute and token. */
    public static final String PAGERDUTY_RATE_LIMIT_PER_MINUTE = "PAGERDUTY_RATE_LIMIT_PER_MINUTE";
    /** How long one write keeps retrying transient failures before it is dead-lettered. */
    public static final String PAGERDUTY_RETRY_MAX_DURATION_MS = "PAGERDUTY_RETRY_MAX_DURATION_MS";
    /** First retry backoff (doubles, with jitter). */
    public static final String PAGERDUTY_RETRY_INITIAL_BACKOFF_MS = "PAGERDUTY_RETRY_INITIAL_BACKOFF_MS";
    /** Longest retry backoff. */
    public static final String PAGERDUTY_RETRY_MAX_BACKOFF_MS = "PAGERDUTY_RETRY_MAX_BACKOFF_MS";
    /** Timeout of one PagerDuty HTTP request (and of connecting). */
    public static final String PAGERDUTY_REQUEST_TIMEOUT_MS = "PAGERDUTY_REQUEST_TIMEOUT_MS";

    /** PagerDuty's documented limit per API key. */
    public static final int PAGERDUTY_LIMIT_PER_MINUTE = 960;
    /**
     * The default budget, shared by all instances: about 6% below PagerDuty's limit, for the
     * pace of one instance's clock against another's, a share still in use by an instance that
     * has not yet noticed it lost its partitions, and other clients of the same token.
     */
    public static final int DEFAULT_RATE_LIMIT_PER_MINUTE = 900;
    /** PagerDuty's EU service region. */
    public static final String EU_API_URL = "https://api.eu.pagerduty.com";

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(NOTES_ENABLED, Type.BOOLEAN, true, Importance.HIGH,
                    "Whether agent results are written back to PagerDuty.")
            .define(NOTES_WORKER_THREADS, Type.INT, 4, Range.between(1, 64), Importance.LOW,
                    "Threads calling PagerDuty and writing the ledger.")
            .define(NOTES_UNKNOWN_REQUEST_GRACE_MS, Type.LONG, 30_000L, Range.between(0L, 3_600_000L),
                    Importance.LOW, "How long a result with an unknown request_id waits for its request record, in ms.")
            .define(NOTES_MAX_NOTE_CHARS, Type.INT, NoteFormatter.DEFAULT_MAX_CHARS, Range.between(200, 1_000_000),
                    Importance.LOW, "Longest text of one PagerDuty note; longer notes are split into parts.")
            .define(NOTES_MAX_NOTE_PARTS, Type.INT, NoteFormatter.DEFAULT_MAX_PARTS, Range.between(1, 100),
                    Importance.LOW, "Most parts a note is split into; the rest is cut off visibly.")
            .define(NOTES_MAX_PENDING, Type.INT, 10_000, Range.between(1, 1_000_000), Importance.LOW,
                    "Results read but not yet finished before the consumer pauses.")
            .define(NOTES_TOPIC_PARTITIONS, Type.INT, 3, Range.between(1, 10_000), Importance.MEDIUM,
                    "Partitions of the results, results DLQ, request log and ledger topics when created.")
            .define(NOTES_TOPIC_REPLICATION, Type.SHORT, (short) 1, Range.between(1, 32), Importance.MEDIUM,
                    "Replication factor of those topics when created.")
            .define(NOTES_STORE_CACHE_MB, Type.INT, 32, Range.between(4, 4096), Importance.LOW,
                    "Native memory of the request-log and ledger stores (RocksDB block cache, which also bounds "
                            + "their write buffers), in MiB; what does not fit is read from disk.")
            .define(PAGERDUTY_API_URL, Type.STRING, PagerDutyClient.DEFAULT_API_URL, new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM, "PagerDuty REST API base URL (EU: " + EU_API_URL + ").")
            .define(PAGERDUTY_API_TOKEN, Type.PASSWORD, null, Importance.HIGH,
                    "REST API token used when the routing trigger has no api_token; unset = dry run for those.")
            .define(PAGERDUTY_FROM_EMAIL, Type.STRING, null, Importance.HIGH,
                    "From email used when neither the result nor the trigger names one.")
            .define(PAGERDUTY_RATE_LIMIT_PER_MINUTE, Type.INT, DEFAULT_RATE_LIMIT_PER_MINUTE,
                    Range.between(1, 1_000_000), Importance.MEDIUM, "Most PagerDuty calls per minute and token, summed over all instances of the "
                    + "APPLICATION_ID (each instance takes its share of the results partitions).")
            .define(PAGERDUTY_RETRY_MAX_DURATION_MS, Type.LONG, 1_800_000L, Range.between(0L, 86_400_000L),
                    Importance.MEDIUM, "How long a write retries transient failures before it is dead-lettered, in ms.")
            .define(PAGERDUTY_RETRY_INITIAL_BACKOFF_MS, Type.LONG, 1_000L, Range.between(1L, 3_600_000L),
                    Importance.LOW, "First retry backoff in ms (doubles with ±50% jitter).")
            .define(PAGERDUTY_RETRY_MAX_BACKOFF_MS, Type.LONG, 60_000L, Range.between(1L, 3_600_000L),
                    Importance.LOW, "Longest retry backoff in ms.")
            .define(PAGERDUTY_REQUEST_TIMEOUT_MS, Type.LONG, 10_000L, Range.between(100L, 600_000L),
                    Importance.MEDIUM, "Timeout of one PagerDuty request, in ms.");

    private final boolean enabled;
    private final int workerThreads;
    private final Duration unknownRequestGrace;
    private final int maxNoteChars;
    private final int maxNoteParts;
    private final int maxPending;
    private final int topicPartitions;
    private final short topicReplication;
    private final URI apiUrl;
    private final String apiToken;
    private final String fromEmail;
    private final int rateLimitPerMinute;
    private final Duration retryMaxDuration;
    private final Duration retryInitialBackoff;
    private final Duration retryMaxBackoff;
    private final Duration requestTimeout;
    private final int storeCacheMb;
    private final long requestLogRetentionMs;
    private final long ledgerRetentionMs;

    private NotesConfig(Map<String, Object> v, TopicPlan plan) {
        this.storeCacheMb = (Integer) v.get(NOTES_STORE_CACHE_MB);
        this.requestLogRetentionMs = plan.requestLogRetentionMs();
        this.ledgerRetentionMs = plan.ledgerRetentionMs();
        this.enabled = (Boolean) v.get(NOTES_ENABLED);
        this.workerThreads = (Integer) v.get(NOTES_WORKER_THREADS);
        this.unknownRequestGrace = Duration.ofMillis((Long) v.get(NOTES_UNKNOWN_REQUEST_GRACE_MS));
        this.maxNoteChars = (Integer) v.get(NOTES_MAX_NOTE_CHARS);
        this.maxNoteParts = (Integer) v.get(NOTES_MAX_NOTE_PARTS);
        this.maxPending = (Integer) v.get(NOTES_MAX_PENDING);
        this.topicPartitions = (Integer) v.get(NOTES_TOPIC_PARTITIONS);
        this.topicReplication = (Short) v.get(NOTES_TOPIC_REPLICATION);
        String url = (String) v.get(PAGERDUTY_API_URL);
        try {
            this.apiUrl = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(PAGERDUTY_API_URL, url, "not a URL: " + e.getMessage());
        }
        if (apiUrl.getScheme() == null || !(apiUrl.getScheme().equals("https") || apiUrl.getScheme().equals("http"))
                || apiUrl.getHost() == null) {
            throw new ConfigException(PAGERDUTY_API_URL, url, "must be an http(s) URL such as "
                    + PagerDutyClient.DEFAULT_API_URL);
        }
        Password token = (Password) v.get(PAGERDUTY_API_TOKEN);
        this.apiToken = token == null || token.value().isBlank() ? null : token.value().trim();
        String from = (String) v.get(PAGERDUTY_FROM_EMAIL);
        if (from != null && !AgentResult.EMAIL.matcher(from.trim()).matches()) {
            throw new ConfigException(PAGERDUTY_FROM_EMAIL, from, "not an email address");
        }
        this.fromEmail = from == null ? null : from.trim();
        this.rateLimitPerMinute = (Integer) v.get(PAGERDUTY_RATE_LIMIT_PER_MINUTE);
        this.retryMaxDuration = Duration.ofMillis((Long) v.get(PAGERDUTY_RETRY_MAX_DURATION_MS));
        this.retryInitialBackoff = Duration.ofMillis((Long) v.get(PAGERDUTY_RETRY_INITIAL_BACKOFF_MS));
        this.retryMaxBackoff = Duration.ofMillis((Long) v.get(PAGERDUTY_RETRY_MAX_BACKOFF_MS));
        this.requestTimeout = Duration.ofMillis((Long) v.get(PAGERDUTY_REQUEST_TIMEOUT_MS));
        if (retryMaxBackoff.compareTo(retryInitialBackoff) < 0) {
            throw new ConfigException(PAGERDUTY_RETRY_MAX_BACKOFF_MS, retryMaxBackoff.toMillis(),
                    "must not be smaller than " + PAGERDUTY_RETRY_INITIAL_BACKOFF_MS);
        }
    }

    /**
     * Reads and validates the settings; blank values count as unset.
     *
     * @throws ConfigException naming the variable when a value is invalid
     */
    public static NotesConfig fromEnv(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        Map<String, String> given = new HashMap<>();
        for (String name : DEFINITION.names()) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                given.put(name, value.trim());
            }
        }
        // the retentions are the topic plan's (one definition): the stores expire entries as the topics do
        return new NotesConfig(DEFINITION.parse(given), TopicPlan.fromEnv(env));
    }

    /** The documented variables, for docs and {@code --help} texts. */
    public static ConfigDef definition() {
        return new ConfigDef(DEFINITION);
    }

    /**
     * Start-time check that every trigger (and the global token) that can write also has a From:
     * PagerDuty refuses writes without one, and finding out per result would dead-letter them all.
     *
     * @throws ConfigException naming the trigger (or {@value #PAGERDUTY_API_TOKEN}) without a From
     */
    public static void validate(TriggerSet triggers, Map<String, String> env) {
        fromEnv(env).validate(triggers);
    }

    /** {@link #validate(TriggerSet, Map)} with these settings. */
    public void validate(TriggerSet triggers) {
        Objects.requireNonNull(triggers, "triggers");
        if (!enabled || fromEmail != null) {
            return;
        }
        for (Trigger trigger : triggers.triggers()) {
            boolean ownToken = trigger.apiToken() != null && !trigger.apiToken().isBlank();
            if ((ownToken || apiToken != null) && (trigger.fromEmail() == null || trigger.fromEmail().isBlank())) {
                throw new ConfigException("trigger '" + trigger.name() + "' writes to PagerDuty with "
                        + (ownToken ? "its api_token" : PAGERDUTY_API_TOKEN)
                        + " but has no from_email, and " + PAGERDUTY_FROM_EMAIL
                        + " is not set: PagerDuty requires a From header (email of a user on the account). "
                        + "Set spec.platform.config.from_email on the trigger or " + PAGERDUTY_FROM_EMAIL + ".");
            }
        }
        if (apiToken != null && triggers.isEmpty()) {
            throw new ConfigException(PAGERDUTY_API_TOKEN + " is set but " + PAGERDUTY_FROM_EMAIL
                    + " is not: PagerDuty requires a From header for writes.");
        }
    }

    public boolean enabled() {
        return enabled;
    }

    public int workerThreads() {
        return workerThreads;
    }

    public Duration unknownRequestGrace() {
        return unknownRequestGrace;
    }

    public int maxNoteChars() {
        return maxNoteChars;
    }

    public int maxNoteParts() {
        return maxNoteParts;
    }

    public int maxPending() {
        return maxPending;
    }

    public int topicPartitions() {
        return topicPartitions;
    }

    public short topicReplication() {
        return topicReplication;
    }

    public URI apiUrl() {
        return apiUrl;
    }

    /** The global token, or null; never log it. */
    public String apiToken() {
        return apiToken;
    }

    public String fromEmail() {
        return fromEmail;
    }

    public int rateLimitPerMinute() {
        return rateLimitPerMinute;
    }

    public Duration retryMaxDuration() {
        return retryMaxDuration;
    }

    public Duration retryInitialBackoff() {
        return retryInitialBackoff;
    }

    public Duration retryMaxBackoff() {
        return retryMaxBackoff;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** {@value #NOTES_STORE_CACHE_MB} in bytes. */
    public long storeCacheBytes() {
        return storeCacheMb * 1024L * 1024L;
    }

    /** {@link TopicPlan#REQUEST_LOG_RETENTION_MS} (-1 = forever). */
    public long requestLogRetentionMs() {
        return requestLogRetentionMs;
    }

    /** {@link TopicPlan#RESULTS_LEDGER_RETENTION_MS} (-1 = forever). */
    public long ledgerRetentionMs() {
        return ledgerRetentionMs;
    }

    @Override
    public String toString() {
        return "NotesConfig[enabled=" + enabled + ", workerThreads=" + workerThreads + ", apiUrl=" + apiUrl
                + ", apiToken=" + (apiToken == null ? "unset" : "****") + ", fromEmail=" + fromEmail
                + ", rateLimitPerMinute=" + rateLimitPerMinute + ", retryMaxDuration=" + retryMaxDuration
                + ", requestTimeout=" + requestTimeout + ", unknownRequestGrace=" + unknownRequestGrace
                + ", storeCacheMb=" + storeCacheMb + ", requestLogRetentionMs=" + requestLogRetentionMs
                + ", ledgerRetentionMs=" + ledgerRetentionMs + "]";
    }
}
