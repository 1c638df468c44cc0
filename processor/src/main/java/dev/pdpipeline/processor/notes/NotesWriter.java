package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.kafka.TopicAdmin;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.pagerduty.PagerDutyCaller;
import dev.pdpipeline.processor.pagerduty.PagerDutyClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes agent results back to PagerDuty as incident notes and status changes, at most once per
 * result as seen on the incident (design in docs/notes.md).
 *
 * <p>Runs beside the Kafka Streams application, never inside it, so a slow or failing PagerDuty
 * cannot delay routing: its own consumer (group {@code <APPLICATION_ID>-notes}, manual commits,
 * read_committed) feeds per-incident serial queues over a small worker pool. Per partition, only
 * offsets below the lowest unfinished result are committed; the results ledger and the note
 * marker make a result read twice (after a crash or rebalance) a no-op. This class wires the
 * parts: {@link ResultsConsumer} polls and commits, {@link NotesRebalance} fences partitions and
 * shares the PagerDuty budget, {@link ResultProcessor} applies one result.
 */
public final class NotesWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NotesWriter.class);
    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(60);

    private final NotesConfig config;
    private final NotesStateDir stateDir;
    private final boolean deleteStateDir;
    private final RequestLog requestLog;
    private final ResultsLedger ledger;
    private final ResultDeadLetters deadLetters;
    private final ExecutorService workers;
    private final IncidentQueues queues;
    private final ResultProcessor processor;
    private final ResultsConsumer consumer;
    private final NotesRebalance rebalance;
    private final NotesMetrics metrics;
    private final PagerDutyCaller caller;
    private final Duration drainTimeout;

    private NotesWriter(NotesConfig config, TopicCatalogue topics, Properties clientProps, String applicationId,
            Supplier<TriggerSet> triggers, MeterRegistry registry, ResultProcessor.Faults faults, Health health,
            NotesStateDir stateDir, boolean deleteStateDir) {
        this.config = config;
        this.stateDir = stateDir;
        this.deleteStateDir = deleteStateDir;
        this.metrics = new NotesMetrics(registry);
        this.requestLog = RequestLog.start(topics.requestLog(), clientProps, health,
                stateDir.store(NotesStateDir.REQUEST_LOG, ttlSeconds(config.requestLogRetentionMs())));
        this.ledger = ResultsLedger.start(topics.resultsLedger(), clientProps, health,
                stateDir.store(NotesStateDir.LEDGER, ttlSeconds(config.ledgerRetentionMs())));
        this.deadLetters = new ResultDeadLetters(topics.resultsDeadLetter(), clientProps, metrics);
        this.workers = Executors.newFixedThreadPool(config.workerThreads(), threads("notes-worker-"));
        this.queues = new IncidentQueues(workers);
        PagerDutyClient client = new PagerDutyClient(config.apiUrl(), config.requestTimeout(), registry);
        this.caller = new PagerDutyCaller(config.rateLimitPerMinute(), config.retryMaxDuration(),
                config.retryInitialBackoff(), config.retryMaxBackoff(), workers, registry);
        caller.share(0.0); // no results partition yet: no budget
        this.processor = new ResultProcessor(config, requestLog, ledger, deadLetters, ResultProcessor.PagerDuty.of(client),
                caller, triggers, metrics, workers, faults);
        // a write in flight ends within the request timeout (the HTTP client gives up then)
        this.drainTimeout = config.requestTimeout().plusSeconds(2);
        Properties props = new Properties();
        props.putAll(clientProps);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, applicationId + "-notes");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, applicationId + "-notes");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        this.consumer = new ResultsConsumer(new KafkaConsumer<>(props), topics.results(), config.maxPending(), health);
        this.rebalance = new NotesRebalance(consumer, topics.results(), ledger::caughtUp, caller::share, drainTimeout);
        metrics.backlog(consumer::backlog);
        metrics.budget(caller::callsPerMinute, rebalance::assignedPartitions);
    }

    /**
     * As {@link #start(NotesConfig, TopicCatalogue, Properties, String, Supplier, MeterRegistry, Path, Health)}
     * with the stores in a new temporary directory, removed on {@link #close()}: for tools and
     * tests that run a writer on its own.
     */
    public static NotesWriter start(NotesConfig config, TopicCatalogue topics, Properties kafkaClientProps,
            String applicationId, Supplier<TriggerSet> triggers, MeterRegistry registry, Health health) {
        return start(config, topics, kafkaClientProps, applicationId, triggers, registry, ResultProcessor.Faults.NONE,
                health, null);
    }

    /**
     * Creates the notes topics if missing, starts restoring the request log and the ledger, then
     * consumes results. Returns at once; {@link #isReady()} says when it is working. With
     * {@code NOTES_ENABLED=false} returns a writer that does nothing (and is ready).
     *
     * @param kafkaClientProps Kafka client settings ({@code bootstrap.servers}, security); the
     *                         writer adds its own serialisers, isolation and acks
     * @param triggers         the current triggers (for api_token, from_email and bot_name)
     * @param health           where the writer's threads report ({@code notes-consumer},
     *                         {@code notes-request-log}, {@code notes-ledger}); a thread ended by
     *                         an exception marks its part failed
     * @param stateDir         the processor's {@code STATE_DIR}: the request-log and ledger stores
     *                         live in {@code <stateDir>/<applicationId>.notes/}, wiped and restored
     *                         at every start
     */
    public static NotesWriter start(NotesConfig config, TopicCatalogue topics, Properties kafkaClientProps,
            String applicationId, Supplier<TriggerSet> triggers, MeterRegistry registry, Path stateDir, Health health) {
        Objects.requireNonNull(stateDir, "stateDir");
        return start(config, topics, kafkaClientProps, applicationId, triggers, registry, ResultProcessor.Faults.NONE,
                health, stateDir);
    }

    /** {@code stateDir} null: a temporary directory, removed on close. */
    static NotesWriter start(NotesConfig config, TopicCatalogue topics, Properties kafkaClientProps,
            String applicationId, Supplier<TriggerSet> triggers, MeterRegistry registry, ResultProcessor.Faults faults,
            Health health, Path stateDir) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(kafkaClientProps, "kafkaClientProps");
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(triggers, "triggers");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(health, "health");
        if (!config.enabled()) {
            log.info("Notes writer disabled ({}=false): agent results are not written to PagerDuty",
                    NotesConfig.NOTES_ENABLED);
            return new NotesWriter();
        }
        Properties adminProps = new Properties();
        adminProps.putAll(kafkaClientProps);
        try (Admin admin = Admin.create(adminProps)) {
            TopicAdmin.ensureTopics(admin, topicsToEnsure(topics, config.topicPartitions(), config.topicReplication(),
                    config.requestLogRetentionMs(), config.ledgerRetentionMs()), TOPIC_TIMEOUT);
            warnIfKeptForever(admin, topics.requestLog(), TopicPlan.REQUEST_LOG_RETENTION_MS,
                    config.requestLogRetentionMs());
            warnIfKeptForever(admin, topics.resultsLedger(), TopicPlan.RESULTS_LEDGER_RETENTION_MS,
                    config.ledgerRetentionMs());
        }
        boolean temporary = stateDir == null;
        Path dir;
        try {
            dir = temporary ? Files.createTempDirectory("pdpipeline-notes-") : NotesStateDir.of(stateDir, applicationId);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a directory for the notes stores: " + e, e);
        }
        NotesStateDir stores = NotesStateDir.open(dir, config.storeCacheBytes());
        NotesWriter writer;
        try {
            writer = new NotesWriter(config, topics, kafkaClientProps, applicationId, triggers, registry, faults,
                    health, stores, temporary);
        } catch (RuntimeException e) {
            stores.close();
            throw e;
        }
        writer.consumer.start(writer::dispatch, writer.rebalance,
                timeout -> writer.requestLog.awaitRestored(timeout) && writer.ledger.awaitRestored(timeout));
        log.info("Notes writer started: results from {} to {} ({})", topics.results(), config.apiUrl(), config);
        return writer;
    }

    /** A disabled writer. */
    private NotesWriter() {
        this.config = null;
        this.stateDir = null;
        this.deleteStateDir = false;
        this.requestLog = null;
        this.ledger = null;
        this.deadLetters = null;
        this.workers = null;
        this.queues = null;
        this.processor = null;
        this.consumer = null;
        this.rebalance = null;
        this.metrics = null;
        this.caller = null;
        this.drainTimeout = Duration.ZERO;
    }

    /**
     * The topics the writer needs, as the topic plan creates them: results and results DLQ
     * ({@code delete}), request log and ledger ({@code compact,delete} with the default
     * retention); {@code min.insync.replicas=2} where {@code replication} is 3 or more. The
     * processor creates them from the plan before the writer starts, so this only matters when
     * the writer runs on its own.
     */
    public static List<NewTopic> topicsToEnsure(TopicCatalogue topics, int partitions, short replication) {
        return topicsToEnsure(topics, partitions, replication, TopicPlan.DEFAULT_REQUEST_LOG_RETENTION_MS,
                TopicPlan.DEFAULT_REQUEST_LOG_RETENTION_MS);
    }

    /** As above, with the request log's and the ledger's {@code retention.ms} (-1 = forever). */
    public static List<NewTopic> topicsToEnsure(TopicCatalogue topics, int partitions, short replication,
            long requestLogRetentionMs, long ledgerRetentionMs) {
        Objects.requireNonNull(topics, "topics");
        Map<String, String> env = new java.util.HashMap<>();
        env.put(TopicCatalogue.RESULTS_TOPIC_ENV, topics.results());
        env.put(TopicCatalogue.RESULTS_DLQ_TOPIC_ENV, topics.resultsDeadLetter());
        env.put(TopicCatalogue.REQUEST_LOG_TOPIC_ENV, topics.requestLog());
        env.put(TopicCatalogue.RESULTS_LEDGER_TOPIC_ENV, topics.resultsLedger());
        env.put(TopicPlan.NOTES_TOPIC_PARTITIONS, Integer.toString(partitions));
        env.put(TopicPlan.TOPIC_REPLICATION, Short.toString(replication));
        env.put(TopicPlan.REQUEST_LOG_RETENTION_MS, Long.toString(requestLogRetentionMs));
        env.put(TopicPlan.RESULTS_LEDGER_RETENTION_MS, Long.toString(ledgerRetentionMs));
        return TopicPlan.fromEnv(env).topics(replication, List.of(TopicPlan.Role.RESULTS,
                        TopicPlan.Role.RESULTS_DEAD_LETTER, TopicPlan.Role.REQUEST_LOG, TopicPlan.Role.LEDGER))
                .stream().map(TopicPlan.Spec::toNewTopic).toList();
    }

    /** Request log and ledger restored and the consumer has joined its group (or the writer is disabled). */
    public boolean isReady() {
        if (consumer == null) {
            return true;
        }
        return !consumer.isStopped() && requestLog.isRestored() && ledger.isRestored() && consumer.isAssigned();
    }

    /** Results read but not finished. */
    public int backlog() {
        return consumer == null ? 0 : consumer.backlog();
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> record, PartitionProgress p) {
        AgentResult result;
        try {
            result = AgentResult.parse(record.value());
        } catch (InvalidResultException e) {
            try {
                deadLetters.send(record, e.reason(), e.getMessage());
                metrics.writes(NotesMetrics.DEAD_LETTERED, NotesMetrics.KIND_NOTE);
                p.finish(record.offset());
            } catch (IllegalStateException dlq) {
                log.error("Cannot dead-letter invalid result {}; it is read again after a restart: {}",
                        ResultDeadLetters.where(record), dlq.getMessage());
            }
            return;
        }
        ResultProcessor.Work work = new ResultProcessor.Work(record, result, p, () -> !consumer.isRunning());
        queues.submit(result.incidentId(), () -> processor.process(work).thenAccept(finished -> {
            if (finished) {
                work.durable.whenComplete((v, e) -> p.finish(record.offset()));
            }
        }));
    }

    /**
     * Stops consuming; writes in flight get up to the request timeout (+2 s) to end, others are
     * abandoned (they stay 'attempting' in the ledger and are checked on the next read).
     */
    @Override
    public void close() {
        if (consumer == null) {
            return;
        }
        consumer.close(drainTimeout.plusSeconds(10));
        caller.close();
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deadLetters.close();
        ledger.close();
        requestLog.close();
        stateDir.close();
        if (deleteStateDir) {
            deleteQuietly(stateDir.dir());
        }
        log.info("Notes writer stopped");
    }

    /**
     * Existing topics are never changed, so a request log or ledger created before they had a
     * retention keeps growing: say so, with the command that applies the plan.
     */
    private static void warnIfKeptForever(Admin admin, String topic, String setting, long plannedMs) {
        if (plannedMs < 0) {
            return;
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            Config configs = admin.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
            String policy = configs.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            if (policy != null && !policy.contains(TopicConfig.CLEANUP_POLICY_DELETE)) {
                log.warn("Topic {} has cleanup.policy={} and keeps every key forever, unlike the plan ({}={} ms, "
                        + "compact,delete): it and the notes store grow with history. Apply the plan with: "
                        + "kafka-configs.sh --bootstrap-server <brokers> --alter --entity-type topics --entity-name {} "
                        + "--add-config 'cleanup.policy=[compact,delete],retention.ms={}'", topic, policy, setting,
                        plannedMs, topic, plannedMs);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            log.debug("Cannot read the configs of {}: {}", topic, e.toString());
        }
    }

    /** A store's expiry: the topic's retention in seconds, 0 (none) for -1. */
    static long ttlSeconds(long retentionMs) {
        return retentionMs < 0 ? 0 : Math.max(1, retentionMs / 1000);
    }

    private static void deleteQuietly(Path dir) {
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            log.debug("Cannot remove {}: {}", dir, e.toString());
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
