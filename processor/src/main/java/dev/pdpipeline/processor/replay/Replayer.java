package dev.pdpipeline.processor.replay;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.event.InvalidEventException;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.kafka.TopicAdmin;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.envelope.AgentRequestEnvelope;
import dev.pdpipeline.processor.envelope.AgentRequests;
import dev.pdpipeline.processor.routing.TriggerVerdicts;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-routes raw deliveries already in Kafka through the current Trigger files: what
 * {@code bin/pipeline replay} and the console's replay action do. The live processor's decision
 * function ({@link TriggerVerdicts}) and request builder ({@link AgentRequests}), marked {@code replay: true} and carrying a replay id, so that a
 * new agent can be backfilled or a fixed Trigger re-run without re-sending anything to PagerDuty.
 *
 * <p>Replays are deliberately not deduplicated against live traffic (that is their point), but
 * one run sends each (event, trigger) at most once even when the raw topic holds redeliveries.
 * Requests and their request-log records are written in Kafka transactions, one per polled batch.
 */
public final class Replayer {

    private static final Logger LOG = LoggerFactory.getLogger(Replayer.class);
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /**
     * What to replay.
     *
     * @param incidents   incident ids; when given only their partitions are read
     * @param service     service id or name (name ignoring case), or null
     * @param trigger     only this trigger, or null for every trigger
     * @param toTopic     send every request here instead of the agents' topics, or null
     * @param writeBack   whether results answering the replayed requests may be written to PagerDuty
     * @param dryRun      print what would be sent, send nothing
     * @param progressEvery print progress after this many scanned records (and at least every second)
     */
    public record Options(Set<String> incidents, String service, String trigger, TimeRange range, String toTopic,
            boolean writeBack, boolean dryRun, String replayId, long progressEvery) {
        public Options {
            incidents = Set.copyOf(Objects.requireNonNull(incidents, "incidents"));
            Objects.requireNonNull(range, "range");
            Objects.requireNonNull(replayId, "replayId");
            if (progressEvery < 1) {
                throw new IllegalArgumentException("progressEvery must be at least 1");
            }
        }
    }

    /**
     * The outcome of a run.
     *
     * @param partitions the raw-topic partitions read
     * @param scanned    records read
     * @param matched    (event, trigger) pairs that passed every check, duplicates included
     * @param sent       requests committed (dry run: that would have been sent)
     * @param duplicates (event, trigger) pairs skipped because this run already sent them
     * @param skipped    records that are not routable events (invalid, ping, no fingerprint header)
     */
    public record Report(String replayId, List<Integer> partitions, long scanned, long matched, long sent,
            long duplicates, long skipped) {
        public Report {
            partitions = List.copyOf(partitions);
        }
    }

    private final ProcessorConfig config;
    private final TopicCatalogue topics;
    private final TriggerSet triggers;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Duration timeout;

    /**
     * @param config   topics, Kafka client settings and agent-topic settings (the processor's)
     * @param triggers the current Trigger files
     * @param out      one line per request, the summary
     * @param err      progress and warnings
     */
    public Replayer(ProcessorConfig config, TriggerSet triggers, PrintWriter out, PrintWriter err) {
        this.config = Objects.requireNonNull(config, "config");
        this.topics = config.topics();
        this.triggers = Objects.requireNonNull(triggers, "triggers");
        this.out = Objects.requireNonNull(out, "out");
        this.err = Objects.requireNonNull(err, "err");
        this.timeout = config.topicCreateTimeout();
    }

    /** A new replay id: UTC time of the run plus a random part, e.g. {@code replay-20250514T091244Z-3fa2c1}. */
    public static String newReplayId(Instant now) {
        return "replay-" + ID_TIME.format(now) + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    /** The triggers a run evaluates: all, or the one named ({@link ReplaySettingException} if unknown). */
    static List<Trigger> selectTriggers(TriggerSet set, String name) {
        if (name == null) {
            return set.triggers();
        }
        return List.of(set.byName(name).orElseThrow(() -> new ReplaySettingException("--trigger '" + name
                + "' is not in the Trigger files (known: "
                + set.triggers().stream().map(Trigger::name).toList() + ")")));
    }

    /**
     * Runs the replay.
     *
     * @throws ReplaySettingException for an unknown trigger or a missing raw topic
     * @throws org.apache.kafka.common.KafkaException when Kafka fails; what was committed before stays
     */
    public Report run(Options options) {
        Objects.requireNonNull(options, "options");
        List<Trigger> selected = selectTriggers(triggers, options.trigger());
        for (Trigger t : selected) {
            if (!t.enabled() && options.trigger() != null) {
                err.println("Warning: trigger '" + t.name() + "' is disabled (spec.enabled: false); it routes nothing");
            }
        }
        Properties client = config.kafkaClientProperties();
        try (RawTopicScanner scanner = new RawTopicScanner(client, topics.raw(), timeout);
                Sender sender = options.dryRun() ? null : new Sender(client, options.replayId())) {
            int partitionCount = scanner.partitionCount();
            Set<Integer> partitions = null;
            if (!options.incidents().isEmpty()) {
                partitions = new TreeSet<>();
                for (String incident : options.incidents()) {
                    partitions.add(KeyPartitions.partitionFor(incident, partitionCount));
                }
            }
            RawTopicScanner.Plan plan = scanner.plan(partitions, options.range());
            out.printf("Replay %s%s: %s partitions %s, %s, triggers %s, write_back=%s%n", options.replayId(),
                    options.dryRun() ? " (dry run: nothing is sent)" : "", topics.raw(), plan.partitions(),
                    options.range().describe(), selected.stream().map(Trigger::name).toList(),
                    options.writeBack());
            out.flush();
            if (sender != null) {
                sender.requireTopic(topics.requestLog());
            }
            Run run = new Run(options, selected, sender, plan, partitionCount);
            scanner.scan(plan, run);
            run.finish();
            Report report = new Report(options.replayId(), plan.partitions(), run.scanned, run.matched,
                    run.sent, run.duplicates, run.skipped);
            out.printf("Replay %s %s: scanned %d record(s), %d matched, %d %s, %d duplicate(s) within this run"
                    + " skipped, %d record(s) not routable%n", options.replayId(),
                    options.dryRun() ? "dry run done" : "done", report.scanned(), report.matched(), report.sent(),
                    options.dryRun() ? "would be sent" : "sent", report.duplicates(), report.skipped());
            out.flush();
            return report;
        }
    }

    /** The state of one run: counters, in-run dedup, progress output. */
    private final class Run implements RawTopicScanner.Listener {
        private final Options options;
        private final List<Trigger> selected;
        /** Each selected trigger's secret fingerprint, computed once per run (an HMAC). */
        private final Map<Trigger, String> fingerprintOf = new IdentityHashMap<>();
        private final Sender sender;
        private final RawTopicScanner.Plan plan;
        private final int rawPartitions;
        private final Set<String> seen = new HashSet<>();
        private long scanned;
        private long matched;
        private long sent;
        private long pending;
        private long duplicates;
        private long skipped;
        private long lastProgressNanos = System.nanoTime();
        private boolean printedProgress;

        Run(Options options, List<Trigger> selected, Sender sender, RawTopicScanner.Plan plan, int rawPartitions) {
            this.options = options;
            this.selected = selected;
            selected.forEach(t -> fingerprintOf.put(t, t.secretFingerprint()));
            this.sender = sender;
            this.plan = plan;
            this.rawPartitions = rawPartitions;
        }

        @Override
        public void record(ConsumerRecord<byte[], byte[]> record) {
            scanned++;
            try {
                handle(record);
            } finally {
                progress(false);
            }
        }

        private void handle(ConsumerRecord<byte[], byte[]> record) {
            if (!options.range().contains(record.timestamp())) {
                return;
            }
            if (record.value() == null) {
                skipped++;
                return;
            }
            PagerDutyEvent event;
            try {
                event = PagerDutyEvent.parse(record.value());
            } catch (InvalidEventException e) {
                skipped++;
                LOG.debug("Skipping {}-{}@{}: {} ({})", record.topic(), record.partition(), record.offset(),
                        e.reason(), e.detail());
                return;
            }
            if (event.isPing()) {
                skipped++;
                return;
            }
            EventMetadata md = event.metadata();
            if (!options.incidents().isEmpty() && !options.incidents().contains(md.incidentId())) {
                return;
            }
            if (options.service() != null && !(options.service().equals(md.serviceId())
                    || options.service().equalsIgnoreCase(md.serviceName()))) {
                return;
            }
            Set<String> fingerprints = PipelineHeaders.secretFingerprints(record.headers());
            if (fingerprints == null) {
                skipped++;
                LOG.debug("Skipping {}-{}@{}: no {} header", record.topic(), record.partition(), record.offset(),
                        PipelineHeaders.SECRET_FINGERPRINTS);
                return;
            }
            for (Trigger trigger : selected) {
                TriggerVerdicts.Verdict verdict = TriggerVerdicts.evaluate(trigger, fingerprintOf.get(trigger),
                        fingerprints, md);
                if (!verdict.routed()) {
                    continue;
                }
                matched++;
                if (!seen.add(md.eventId() + "\n" + trigger.name())) {
                    duplicates++;
                    continue;
                }
                String topic = options.toTopic() != null ? options.toTopic() : topics.agentTopic(verdict.target().name());
                String requestId = AgentRequestEnvelope.replayRequestId(md.eventId(), trigger.name(), options.replayId());
                out.printf("%s %s %s incident=%s trigger=%s -> %s request_id=%s (%s-%d@%d)%n",
                        options.dryRun() ? "would send" : "send", md.eventId(), md.eventType(), md.incidentId(),
                        trigger.name(), topic, requestId, record.topic(), record.partition(), record.offset());
                if (sender != null) {
                    sender.send(topic, record, event, verdict, options, rawPartitions);
                    pending++;
                } else {
                    sent++;
                }
            }
        }

        @Override
        public void batchDone() {
            if (sender != null && sender.commit()) {
                sent += pending;
                pending = 0;
            }
        }

        void finish() {
            batchDone();
            if (printedProgress) {
                progress(true);
            }
        }

        private void progress(boolean force) {
            long now = System.nanoTime();
            if (force || scanned % options.progressEvery() == 0 || now - lastProgressNanos >= 1_000_000_000L) {
                lastProgressNanos = now;
                printedProgress = true;
                err.printf("replay %s: scanned %d/%d, matched %d, sent %d%n", options.replayId(), scanned,
                        plan.offsets(), matched, sent + pending);
                err.flush();
            }
        }
    }

    /** The transactional producer of a run, and the topics it made sure exist. */
    private final class Sender implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> producer;
        private final Admin admin;
        private final Set<String> ready = new HashSet<>();
        private boolean inTransaction;

        Sender(Properties client, String replayId) {
            Properties props = new Properties();
            props.putAll(client);
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "pdpipeline-" + replayId);
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "pdpipeline-" + replayId);
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            Properties adminProps = new Properties();
            adminProps.putAll(client);
            this.admin = Admin.create(adminProps);
            try {
                this.producer = new KafkaProducer<>(props);
                producer.initTransactions();
            } catch (RuntimeException e) {
                admin.close(Duration.ofSeconds(5));
                throw e;
            }
        }

        /** Fails clearly when a topic the processor creates is missing. */
        void requireTopic(String topic) {
            try {
                if (!admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).contains(topic)) {
                    throw new ReplaySettingException("topic '" + topic + "' does not exist: the processor creates it"
                            + " when it starts (check REQUEST_LOG_TOPIC and KAFKA_BOOTSTRAP_SERVERS)");
                }
                ready.add(topic);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while listing topics", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("cannot list topics: " + e, e);
            }
        }

        void send(String topic, ConsumerRecord<byte[], byte[]> record, PagerDutyEvent event,
                TriggerVerdicts.Verdict verdict, Options options, int rawPartitions) {
            if (ready.add(topic)) {
                // A backfill may run before the processor has reloaded the new Trigger and created its topic.
                TopicAdmin.ensureTopics(admin, List.of(config.topicPlan().agentTopic(topic, rawPartitions,
                        TopicPlan.brokerCount(admin, timeout)).toNewTopic()), timeout);
            }
            if (!inTransaction) {
                producer.beginTransaction();
                inTransaction = true;
            }
            // A replay is a new request: its own id, so the live request's log entry stays intact.
            AgentRequests.Built r = AgentRequests.build(topic, verdict.trigger(), verdict.target(), event, record.key(),
                    record.headers(), Instant.now(), new AgentRequests.Replay(options.replayId(), options.writeBack()));
            // No timestamp: "now", so agent-topic retention counts from the replay, not the original event.
            producer.send(new ProducerRecord<>(topic, null, null, r.key(), r.body(), r.headers()));
            producer.send(new ProducerRecord<>(topics.requestLog(), null, null, r.requestLogKey(), r.requestLogValue()));
        }

        /** Commits the open transaction, if any; true when something was committed. */
        boolean commit() {
            if (!inTransaction) {
                return false;
            }
            inTransaction = false;
            producer.commitTransaction();
            return true;
        }

        @Override
        public void close() {
            try {
                if (inTransaction) {
                    inTransaction = false;
                    try {
                        producer.abortTransaction();
                    } catch (RuntimeException e) {
                        LOG.warn("Aborting the replay transaction failed: {}", e.toString());
                    }
                }
                producer.close(Duration.ofSeconds(5));
            } finally {
                admin.close(Duration.ofSeconds(5));
            }
        }
    }
}
