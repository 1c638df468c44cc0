package dev.pdpipeline.processor;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.kafka.TopicAdmin;
import dev.pdpipeline.common.topics.TopicDurability;
import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.common.trigger.TriggerWatcher;
import dev.pdpipeline.processor.dedup.BoundedDedupRocksDb;
import dev.pdpipeline.processor.notes.NotesConfig;
import dev.pdpipeline.processor.notes.NotesWriter;
import dev.pdpipeline.processor.reload.ActiveTriggers;
import dev.pdpipeline.processor.topology.RoutingOptions;
import dev.pdpipeline.processor.topology.RoutingTopology;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running processor: triggers loaded and watched, topics ensured, Kafka Streams started.
 * Instances with the same {@code APPLICATION_ID} share the raw topic's partitions; the dedup
 * state follows its partition through the changelog.
 */
public final class ProcessorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorService.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /** Health part of Kafka Streams. */
    public static final String STREAMS_PART = "kafka-streams";
    /** Health part of the thread that retries a trigger set whose topics could not be created. */
    public static final String TRIGGER_RETRY_PART = "trigger-retry";

    private final ProcessorConfig config;
    private final Admin admin;
    private final TriggerWatcher watcher;
    private final ScheduledExecutorService retries;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private volatile NotesWriter notes;
    private volatile Health.Part streamsPart;
    private final java.util.concurrent.atomic.AtomicReference<String> streamsFailure =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final AtomicBoolean everRunning = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ProcessorService(ProcessorConfig config, Admin admin, TriggerWatcher watcher,
            ScheduledExecutorService retries, KafkaStreams streams, KafkaStreamsMetrics streamsMetrics) {
        this.config = config;
        this.admin = admin;
        this.watcher = watcher;
        this.retries = retries;
        this.streams = streams;
        this.streamsMetrics = streamsMetrics;
    }

    /**
     * Loads the triggers (failing fast on an invalid file), ensures the raw, dead-letter, request
     * log (compacted), decisions and agent topics, starts Kafka Streams, the trigger watcher and the notes
     * writer (agent results → PagerDuty). Returns without waiting for the first
     * rebalance; {@link #isReady()} tells when routing runs.
     *
     * @throws dev.pdpipeline.common.trigger.TriggerConfigException for invalid Trigger files
     * @throws IllegalArgumentException for an agent name that makes no legal topic with the template
     * @throws IllegalStateException    when the topics cannot be created
     */
    public static ProcessorService start(ProcessorConfig config, MeterRegistry registry) {
        return start(config, registry, new Health());
    }

    /**
     * As {@link #start(ProcessorConfig, MeterRegistry)}, reporting Kafka Streams (part
     * {@value #STREAMS_PART}) and the trigger retry thread (part {@value #TRIGGER_RETRY_PART}) to
     * {@code health}: Streams in {@code ERROR}, or {@code NOT_RUNNING} without {@link #close()},
     * is a failure; {@code REBALANCING} after having run is only degraded.
     */
    public static ProcessorService start(ProcessorConfig config, MeterRegistry registry, Health health) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(health, "health");
        TopicCatalogue topics = config.topics();
        Admin admin = null;
        TriggerWatcher watcher = null;
        ScheduledExecutorService retries = null;
        KafkaStreams streams = null;
        // Fail fast on configuration, before touching Kafka: an invalid Trigger file, or a token
        // without any From (notes could never be written), stops the start with a clear message.
        TriggerLoader loader = new TriggerLoader(config.env());
        TriggerSet initial = loader.load(config.triggersPath());
        NotesConfig notesConfig = NotesConfig.fromEnv(config.env());
        TopicPlan plan = config.topicPlan();
        Consumer<TriggerSet> validator = set -> validate(set, notesConfig, topics);
        validator.accept(initial);
        try {
            admin = Admin.create(config.kafkaClientProperties());
            Admin a = admin;
            int brokers = TopicPlan.brokerCount(admin, config.topicCreateTimeout());
            // every topic of the plan: routing's own, and the notes writer's (created here with the
            // planned settings, so the writer finds them in place)
            List<TopicPlan.Spec> fixed = plan.fixedTopics(brokers);
            TopicAdmin.ensureTopics(admin, fixed.stream().map(TopicPlan.Spec::toNewTopic).toList(),
                    config.topicCreateTimeout());
            TopicDurability durability = new TopicDurability(registry);
            durability.check(admin, brokers, fixed.stream().filter(t -> t.role().durable())
                    .map(TopicPlan.Spec::name).toList(), config.topicCreateTimeout());
            int rawPartitions = partitionsOf(admin, topics.raw(), config.topicCreateTimeout());

            if (initial.enabled().isEmpty()) {
                LOG.warn("No enabled trigger in {}: nothing will be routed until one is added", config.triggersPath());
            }
            ActiveTriggers active = new ActiveTriggers(initial, topics, validator,
                    names -> ensureAgentTopics(a, plan, names, rawPartitions, brokers, durability, config), registry);
            watcher = new TriggerWatcher(config.triggersPath(), loader, config.triggersReloadInterval(),
                    active::offer, active::rejected);
            TriggerSet watched = watcher.start();
            if (!watched.equals(initial)) {
                active.offer(watched); // the files changed between the two loads
            }
            retries = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "processor-trigger-retry");
                t.setDaemon(true);
                return t;
            });
            long retryMs = config.triggersReloadInterval().toMillis();
            Health.Part retryPart = health.register(TRIGGER_RETRY_PART);
            retries.scheduleWithFixedDelay(() -> {
                try {
                    active.retryPending();
                } catch (RuntimeException e) {
                    LOG.warn("Retrying the pending trigger set failed: {}", e.toString());
                } catch (Error e) {
                    // a scheduled task that throws is never run again: say so rather than go quiet
                    retryPart.failed(e);
                    throw e;
                }
            }, retryMs, retryMs, TimeUnit.MILLISECONDS);

            RoutingOptions options = new RoutingOptions(config.dedupWindow(), config.dedupPurgeInterval(),
                    config.dedupPurgeBatch());
            Topology topology = RoutingTopology.build(topics, active, options, registry);
            LOG.debug("Processor topology:\n{}", topology.describe());
            streams = new KafkaStreams(topology, streamsProperties(config));
            ProcessorService service = new ProcessorService(config, admin, watcher, retries, streams,
                    new KafkaStreamsMetrics(streams));
            service.streamsMetrics.bindTo(registry);
            // 1 when routing runs and the notes writer is working: what /health/ready says, as a metric
            io.micrometer.core.instrument.Gauge.builder("pdpipeline.processor.ready", service, s -> s.isReady() ? 1 : 0)
                    .description("1 when routing runs and the notes writer has restored its state, else 0")
                    .register(registry);
            Health.Part streamsPart = health.register(STREAMS_PART);
            service.streamsPart = streamsPart;
            streams.setStateListener((newState, oldState) -> service.onStateChange(newState, oldState));
            streams.setUncaughtExceptionHandler(e -> {
                // Kafka errors that reach here (a record the broker refuses, a deleted source
                // topic) must not be skipped silently: stop the client and fail the process, so
                // that the orchestrator restarts it and /health/live says why meanwhile.
                LOG.error("Stream thread failed; shutting the processor down", e);
                service.streamsFailure.compareAndSet(null, Health.describe(rootCause(e)));
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            streams.start();
            // Its own consumer and threads: a slow PagerDuty never delays routing.
            service.notes = NotesWriter.start(notesConfig, topics, config.kafkaClientProperties(),
                    config.applicationId(), active, registry, config.stateDir(), health);
            LOG.info("Processor started: {} ({} trigger(s), {} enabled)", config, initial.triggers().size(),
                    initial.enabled().size());
            return service;
        } catch (RuntimeException e) {
            if (streams != null) {
                streams.close(CLOSE_TIMEOUT);
            }
            if (retries != null) {
                retries.shutdownNow();
            }
            if (watcher != null) {
                watcher.close();
            }
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
            throw e;
        }
    }

    /**
     * {@code batch.size} of the Streams producer unless {@code KAFKA_BATCH_SIZE} or
     * {@code KAFKA_PRODUCER_BATCH_SIZE} says otherwise. Kafka's 16 KiB default holds two or three
     * 2-8 KB requests, so one commit interval's requests for a partition went out as many small
     * batches (each a separate append, CRC and index entry on the broker); 256 KiB holds a whole
     * commit interval's worth at thousands of events/s. Memory stays bounded by {@code buffer.memory}.
     */
    public static final int PRODUCER_BATCH_SIZE = 256 * 1024;
    /**
     * {@code linger.ms} of the Streams producer unless {@code KAFKA_LINGER_MS} or
     * {@code KAFKA_PRODUCER_LINGER_MS} says otherwise. Kafka Streams' own default (100 ms) held a
     * whole commit interval's records back until the commit's flush, so every commit waited for
     * all of them to be sent and acknowledged before it could end the transaction; at 10 ms they
     * go out during the interval and the commit finds little left (end-to-end p50 103 -> 86 ms,
     * p99 322 -> 282 ms at 3,000 events/s, and no loss of throughput in {@code bench/run processor};
     * docs/benchmarks.md). Under exactly-once every commit flushes the producer anyway.
     */
    public static final int PRODUCER_LINGER_MS = 10;
    /**
     * {@code retry.backoff.ms} of the Streams producer unless {@code KAFKA_RETRY_BACKOFF_MS} or
     * {@code KAFKA_PRODUCER_RETRY_BACKOFF_MS} says otherwise. Right after a commit the broker
     * answers the next transaction's first produce with {@code CONCURRENT_TRANSACTIONS} until the
     * previous transaction's markers are written on every partition it touched (a routed event
     * touches four topics); Kafka's 100 ms default then idled the stream thread for a whole commit
     * interval. Retries back off exponentially from this value up to {@code retry.backoff.max.ms}
     * (1 s), so a broker that stays busy is not hammered.
     */
    public static final int PRODUCER_RETRY_BACKOFF_MS = 10;

    private static void producerDefault(Properties props, Properties client, String name, Object value) {
        String prefixed = StreamsConfig.producerPrefix(name);
        if (!client.containsKey(name) && !client.containsKey(prefixed)) {
            props.put(prefixed, value);
        }
    }

    /** The Kafka Streams settings of a config; visible for tests and docs. */
    static Properties streamsProperties(ProcessorConfig config) {
        Properties props = new Properties();
        Properties client = config.kafkaClientProperties();
        // Batching defaults sized for the routing producer, which KAFKA_* may override (prefixed or not).
        producerDefault(props, client, ProducerConfig.BATCH_SIZE_CONFIG, PRODUCER_BATCH_SIZE);
        producerDefault(props, client, ProducerConfig.LINGER_MS_CONFIG, PRODUCER_LINGER_MS);
        producerDefault(props, client, ProducerConfig.RETRY_BACKOFF_MS_CONFIG, PRODUCER_RETRY_BACKOFF_MS);
        // KAFKA_* first (bootstrap, SASL/TLS, client tuning), then the settings we rely on.
        props.putAll(client);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.processingGuarantee());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitIntervalMs());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.numStreamThreads());
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName());
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName());
        // byte[] serdes cannot fail; should one ever, log and skip rather than stop everything.
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndContinueExceptionHandler.class.getName());
        // A record the broker refuses must stop processing, never be dropped.
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                DefaultProductionExceptionHandler.class.getName());
        props.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        // One bounded off-heap budget for every dedup store, whatever the partitions this instance owns.
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedDedupRocksDb.class.getName());
        props.put(BoundedDedupRocksDb.CACHE_BYTES_CONFIG, (long) config.dedupStoreCacheMb() << 20);
        if (!config.exactlyOnce()) {
            // (exactly_once_v2 enforces both itself)
            props.put(StreamsConfig.producerPrefix(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG), "true");
            props.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        }
        return props;
    }

    /**
     * Whether routing runs (Streams RUNNING, or REBALANCING after having run) and the notes
     * writer has restored its request log and ledger.
     */
    public boolean isReady() {
        KafkaStreams.State state = streams.state();
        boolean routing = state == KafkaStreams.State.RUNNING
                || (state == KafkaStreams.State.REBALANCING && everRunning.get());
        NotesWriter writer = notes;
        return routing && (writer == null || writer.isReady());
    }

    /** The Kafka Streams state, for diagnostics. */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Whether Streams stopped because of an error (the process should exit and be restarted). */
    public boolean hasFailed() {
        KafkaStreams.State state = streams.state();
        return state == KafkaStreams.State.ERROR
                || (state == KafkaStreams.State.NOT_RUNNING && !closed.get());
    }

    /** The configuration this service runs with. */
    public ProcessorConfig config() {
        return config;
    }

    /** Stops the watcher, then Kafka Streams (committing its work), then the Admin client. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        NotesWriter writer = notes;
        if (writer != null) {
            writer.close();
        }
        watcher.close();
        retries.shutdownNow();
        boolean clean = streams.close(CLOSE_TIMEOUT);
        if (!clean) {
            LOG.warn("Kafka Streams did not stop within {}", CLOSE_TIMEOUT);
        }
        streamsMetrics.close();
        admin.close(Duration.ofSeconds(5));
        LOG.info("Processor stopped");
    }

    /**
     * The checks a trigger set passes before it is used, at start and on every reload: notes
     * settings ({@link NotesConfig#validate}) and legal agent topic names.
     */
    static void validate(TriggerSet set, NotesConfig notesConfig, TopicCatalogue topics) {
        notesConfig.validate(set);
        for (Trigger trigger : set.triggers()) {
            if (!topics.isLegalAgentName(trigger.agent())) {
                topics.agentTopic(trigger.agent()); // throws, naming the agent
            }
        }
    }

    /** Streams state changes: what they mean for the process's health. */
    private void onStateChange(KafkaStreams.State newState, KafkaStreams.State oldState) {
        LOG.info("Kafka Streams state {} -> {}", oldState, newState);
        Health.Part part = streamsPart;
        switch (newState) {
            case RUNNING -> {
                everRunning.set(true);
                part.up();
            }
            case REBALANCING -> {
                if (everRunning.get()) {
                    part.degraded("rebalancing");
                }
            }
            case ERROR -> part.failed("Kafka Streams is in state ERROR"
                    + Optional.ofNullable(streamsFailure.get()).map(r -> ": " + r).orElse(""));
            case NOT_RUNNING, PENDING_SHUTDOWN -> {
                if (!closed.get() && newState == KafkaStreams.State.NOT_RUNNING) {
                    part.failed("Kafka Streams stopped (NOT_RUNNING) without a shutdown request"
                            + Optional.ofNullable(streamsFailure.get()).map(r -> ": " + r).orElse(""));
                }
            }
            default -> {
            }
        }
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        // StreamsException wraps the interesting one, usually once or twice
        while (c.getCause() != null && c.getCause() != c
                && c instanceof org.apache.kafka.streams.errors.StreamsException) {
            c = c.getCause();
        }
        return c;
    }

    private static void ensureAgentTopics(Admin admin, TopicPlan plan, Collection<String> names, int rawPartitions,
            int brokers, TopicDurability durability, ProcessorConfig config) {
        List<NewTopic> topics = names.stream()
                .map(name -> plan.agentTopic(name, rawPartitions, brokers).toNewTopic())
                .toList();
        TopicAdmin.ensureTopics(admin, topics, config.topicCreateTimeout());
        durability.check(admin, brokers, names, config.topicCreateTimeout());
    }

    private static int partitionsOf(Admin admin, String topic, Duration timeout) {
        try {
            Map<String, TopicDescription> described = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return described.get(topic).partitions().size();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot describe topic " + topic + ": "
                    + (e instanceof ExecutionException ? e.getCause() : e), e);
        }
    }
}
