package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.kafka.TopicAdmin;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.pagerduty.PagerDutyCaller;
import dev.pdpipeline.processor.pagerduty.PagerDutyClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.WakeupException;
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
 * marker make a result read twice (after a crash or rebalance) a no-op.
 */
public final class NotesWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NotesWriter.class);
    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(200);

    private final NotesConfig config;
    private final TopicCatalogue topics;
    private final RequestLog requestLog;
    private final ResultsLedger ledger;
    private final ResultDeadLetters deadLetters;
    private final ExecutorService workers;
    private final IncidentQueues queues;
    private final ResultProcessor processor;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final NotesMetrics metrics;
    private final Map<TopicPartition, PartitionProgress> progress = new ConcurrentHashMap<>();
    private final Thread thread;
    private final Duration drainTimeout;
    private volatile boolean running = true;
    private volatile boolean assigned;
    private volatile boolean stopped;
    private boolean paused;

    private NotesWriter(NotesConfig config, TopicCatalogue topics, Properties clientProps, String applicationId,
            Supplier<TriggerSet> triggers, MeterRegistry registry, ResultProcessor.Faults faults) {
        this.config = config;
        this.topics = topics;
        this.metrics = new NotesMetrics(registry);
        this.requestLog = RequestLog.start(topics.requestLog(), clientProps);
        this.ledger = ResultsLedger.start(topics.resultsLedger(), clientProps);
        this.deadLetters = new ResultDeadLetters(topics.resultsDeadLetter(), clientProps, metrics);
        this.workers = Executors.newFixedThreadPool(config.workerThreads(), threads("notes-worker-"));
        this.queues = new IncidentQueues(workers);
        PagerDutyClient client = new PagerDutyClient(config.apiUrl(), config.requestTimeout(), registry);
        PagerDutyCaller caller = new PagerDutyCaller(config.rateLimitPerMinute(), config.retryMaxDuration(),
                config.retryInitialBackoff(), config.retryMaxBackoff(), workers, registry);
        this.processor = new ResultProcessor(config, requestLog, ledger, deadLetters, client, caller, triggers, metrics,
                workers, faults);
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
        this.consumer = new KafkaConsumer<>(props);
        metrics.backlog(this::backlog);
        this.thread = new Thread(this::run, "notes-consumer");
    }

    /**
     * Creates the notes topics if missing, starts restoring the request log and the ledger, then
     * consumes results. Returns at once; {@link #isReady()} says when it is working. With
     * {@code NOTES_ENABLED=false} returns a writer that does nothing (and is ready).
     *
     * @param kafkaClientProps Kafka client settings ({@code bootstrap.servers}, security); the
     *                         writer adds its own serialisers, isolation and acks
     * @param triggers         the current triggers (for api_token, from_email and bot_name)
     */
    public static NotesWriter start(NotesConfig config, TopicCatalogue topics, Properties kafkaClientProps,
            String applicationId, Supplier<TriggerSet> triggers, MeterRegistry registry) {
        return start(config, topics, kafkaClientProps, applicationId, triggers, registry, ResultProcessor.Faults.NONE);
    }

    static NotesWriter start(NotesConfig config, TopicCatalogue topics, Properties kafkaClientProps,
            String applicationId, Supplier<TriggerSet> triggers, MeterRegistry registry, ResultProcessor.Faults faults) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(kafkaClientProps, "kafkaClientProps");
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(triggers, "triggers");
        Objects.requireNonNull(registry, "registry");
        if (!config.enabled()) {
            log.info("Notes writer disabled ({}=false): agent results are not written to PagerDuty",
                    NotesConfig.NOTES_ENABLED);
            return new NotesWriter();
        }
        Properties adminProps = new Properties();
        adminProps.putAll(kafkaClientProps);
        try (Admin admin = Admin.create(adminProps)) {
            TopicAdmin.ensureTopics(admin, topicsToEnsure(topics, config.topicPartitions(), config.topicReplication()),
                    TOPIC_TIMEOUT);
        }
        NotesWriter writer = new NotesWriter(config, topics, kafkaClientProps, applicationId, triggers, registry, faults);
        writer.thread.start();
        log.info("Notes writer started: results from {} to {} ({})", topics.results(), config.apiUrl(), config);
        return writer;
    }

    /** A disabled writer. */
    private NotesWriter() {
        this.config = null;
        this.topics = null;
        this.requestLog = null;
        this.ledger = null;
        this.deadLetters = null;
        this.workers = null;
        this.queues = null;
        this.processor = null;
        this.consumer = null;
        this.metrics = null;
        this.thread = null;
        this.drainTimeout = Duration.ZERO;
        this.assigned = true;
    }

    /**
     * The topics the writer needs, as the topic plan creates them: results and results DLQ
     * ({@code delete}), request log and ledger ({@code compact}); {@code min.insync.replicas=2}
     * where {@code replication} is 3 or more. The processor creates them from the plan before the
     * writer starts, so this only matters when the writer runs on its own.
     */
    public static List<NewTopic> topicsToEnsure(TopicCatalogue topics, int partitions, short replication) {
        Objects.requireNonNull(topics, "topics");
        Map<String, String> env = new java.util.HashMap<>();
        env.put(TopicCatalogue.RESULTS_TOPIC_ENV, topics.results());
        env.put(TopicCatalogue.RESULTS_DLQ_TOPIC_ENV, topics.resultsDeadLetter());
        env.put(TopicCatalogue.REQUEST_LOG_TOPIC_ENV, topics.requestLog());
        env.put(TopicCatalogue.RESULTS_LEDGER_TOPIC_ENV, topics.resultsLedger());
        env.put(TopicPlan.NOTES_TOPIC_PARTITIONS, Integer.toString(partitions));
        env.put(TopicPlan.TOPIC_REPLICATION, Short.toString(replication));
        return TopicPlan.fromEnv(env).topics(replication, List.of(TopicPlan.Role.RESULTS,
                        TopicPlan.Role.RESULTS_DEAD_LETTER, TopicPlan.Role.REQUEST_LOG, TopicPlan.Role.LEDGER))
                .stream().map(TopicPlan.Spec::toNewTopic).toList();
    }

    /** Request log and ledger restored and the consumer has joined its group (or the writer is disabled). */
    public boolean isReady() {
        if (consumer == null) {
            return true;
        }
        return !stopped && requestLog.isRestored() && ledger.isRestored() && assigned;
    }

    /** Results read but not finished. */
    public int backlog() {
        int n = 0;
        for (PartitionProgress p : progress.values()) {
            n += p.pendingCount();
        }
        return n;
    }

    private void run() {
        try {
            while (running && !(requestLog.awaitRestored(Duration.ofSeconds(1)) && ledger.awaitRestored(Duration.ofSeconds(1)))) {
                log.debug("Waiting for the request log and the ledger to be restored");
            }
            if (!running) {
                return;
            }
            consumer.subscribe(List.of(topics.results()), new Rebalance());
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    dispatch(record);
                }
                flowControl();
                commit(false, progress.values());
            }
        } catch (WakeupException e) {
            if (running) {
                log.error("Notes consumer woken up unexpectedly", e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("Notes consumer failed; agent results are no longer written until restart", e);
        } finally {
            stopped = true;
            try {
                List<PartitionProgress> all = new ArrayList<>(progress.values());
                all.forEach(PartitionProgress::revoke);
                drain(all);
                commit(true, all);
            } catch (RuntimeException e) {
                log.warn("Final commit of the notes consumer failed: {}", e.toString());
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        PartitionProgress p = progress.get(tp);
        if (p == null) {
            log.warn("Record {} of an unassigned partition; ignoring it", ResultDeadLetters.where(record));
            return;
        }
        p.add(record.offset());
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
        ResultProcessor.Work work = new ResultProcessor.Work(record, result, p, () -> !running);
        queues.submit(result.incidentId(), () -> processor.process(work).thenAccept(finished -> {
            if (finished) {
                work.durable.whenComplete((v, e) -> p.finish(record.offset()));
            }
        }));
    }

    /** Pauses fetching while too many results are unfinished, so memory stays bounded. */
    private void flowControl() {
        int n = backlog();
        if (!paused && n >= config.maxPending()) {
            consumer.pause(consumer.assignment());
            paused = true;
            log.info("Pausing the results consumer: {} results unfinished", n);
        } else if (paused && n <= config.maxPending() / 2) {
            consumer.resume(consumer.paused());
            paused = false;
            log.info("Resuming the results consumer: {} results unfinished", n);
        }
    }

    private void commit(boolean sync, Collection<PartitionProgress> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (PartitionProgress p : partitions) {
            OptionalLong c = p.committable();
            if (c.isPresent()) {
                offsets.put(p.partition, new OffsetAndMetadata(c.getAsLong()));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            consumer.commitSync(offsets);
            markCommitted(offsets);
        } else {
            consumer.commitAsync(offsets, (done, e) -> {
                if (e == null) {
                    markCommitted(done);
                } else {
                    log.debug("Committing notes offsets failed (retried on the next poll): {}", e.toString());
                }
            });
        }
    }

    private void markCommitted(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> {
            PartitionProgress p = progress.get(tp);
            if (p != null) {
                p.committed(o.offset());
            }
        });
    }

    /** Waits (bounded) until no result of these partitions is between 'attempting' and its end. */
    private void drain(Collection<PartitionProgress> partitions) {
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        for (PartitionProgress p : partitions) {
            while (p.writing.get() > 0 && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (p.writing.get() > 0) {
                log.warn("{} writes of {} still running after {} ms; they stay 'attempting' and are checked when "
                        + "read again", p.writing.get(), p.partition, drainTimeout.toMillis());
            }
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            List<PartitionProgress> revoked = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                PartitionProgress p = progress.get(tp);
                if (p != null) {
                    p.revoke();
                    revoked.add(p);
                }
            }
            drain(revoked);
            try {
                commit(true, revoked);
            } catch (RuntimeException e) {
                log.warn("Committing revoked notes partitions {} failed: {}", partitions, e.toString());
            }
            revoked.forEach(p -> progress.remove(p.partition));
            log.info("Notes partitions revoked: {}", partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                PartitionProgress p = progress.remove(tp);
                if (p != null) {
                    p.revoke();
                }
            }
            log.warn("Notes partitions lost: {}", partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                progress.put(tp, new PartitionProgress(tp));
            }
            if (paused) {
                consumer.pause(partitions);
            }
            assigned = true;
            log.info("Notes partitions assigned: {}", partitions);
        }
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
        running = false;
        consumer.wakeup();
        try {
            thread.join(drainTimeout.toMillis() + 10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deadLetters.close();
        ledger.close();
        requestLog.close();
        log.info("Notes writer stopped");
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
