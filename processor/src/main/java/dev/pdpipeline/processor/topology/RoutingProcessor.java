package dev.pdpipeline.processor.topology;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.event.InvalidEventException;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.dedup.DedupStore;
import dev.pdpipeline.processor.decisions.DecisionRecord;
import dev.pdpipeline.processor.envelope.AgentRequests;
import dev.pdpipeline.processor.routing.TriggerVerdicts;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import dev.pdpipeline.common.logging.LogContext;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.LoggerFactory;

/**
 * Routes one raw delivery: parse, decide every trigger ({@link TriggerVerdicts}: signed by its
 * secret, enabled, filters, target), deduplicate per (event id, trigger, target), and emit one request per
 * routed trigger plus one decisions record saying what each trigger decided. Anything it cannot
 * handle goes to the dead-letter topic with the reason, so one bad record never stops the
 * stream; Kafka's own errors are rethrown so that exactly-once processing stays intact.
 *
 * <p>One instance per stream task (partition), so the fields need no synchronisation.
 */
final class RoutingProcessor implements Processor<byte[], byte[], byte[], Object> {

    private static final Logger LOG = LoggerFactory.getLogger(RoutingProcessor.class);

    /** Dead-letter reason: the record has no {@code pdpipeline-secret-fingerprints} header. */
    static final String NO_FINGERPRINT = "no_fingerprint";
    /** Dead-letter reason: an unexpected error while handling this record. */
    static final String PROCESSING_ERROR = "processing_error";

    static final String OUTCOME_ROUTED = "routed";
    static final String OUTCOME_DUPLICATE = "duplicate";
    static final String OUTCOME_DISABLED = "disabled";

    private static final int MAX_DETAIL_LENGTH = 500;
    private static final String DUPLICATE_REASON = "already routed within the dedup window";

    /** Builds the request of one routed (event, trigger); a seam so tests can make it fail. */
    @FunctionalInterface
    interface RequestFactory {
        AgentRequests.Built build(String topic, Trigger trigger, Target target, PagerDutyEvent event, byte[] key,
                Headers rawHeaders, Instant now);

        /** The live processor's: {@link AgentRequests#build} without replay. */
        static RequestFactory live() {
            return (topic, trigger, target, event, key, headers, now) ->
                    AgentRequests.build(topic, trigger, target, event, key, headers, now, null);
        }
    }

    private final TopicCatalogue topics;
    private final Supplier<TriggerSet> triggers;
    private final RoutingOptions options;
    private final RoutingMetrics metrics;
    private final RequestFactory requests;

    private ProcessorContext<byte[], Object> context;
    private DedupStore dedup;
    private TriggerSet indexedSet;
    private List<TriggerVerdicts.Signed> indexed = List.of();

    RoutingProcessor(TopicCatalogue topics, Supplier<TriggerSet> triggers, RoutingOptions options,
            RoutingMetrics metrics, RequestFactory requests) {
        this.requests = requests;
        this.topics = topics;
        this.triggers = triggers;
        this.options = options;
        this.metrics = metrics;
    }

    /** The log context of the record being processed (stream threads each have their own processor). */
    private LogContext logContext;

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
        KeyValueStore<String, Long> store = context.getStateStore(DedupStore.STORE_NAME);
        this.dedup = new DedupStore(store, options.dedupWindow());
        context.schedule(options.purgeInterval(), PunctuationType.WALL_CLOCK_TIME, this::purge);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        var source = context.recordMetadata();
        // the log context covers the error path too (a try-with-resources closes before its catch)
        try (LogContext logContext = LogContext.record(source.map(m -> m.topic()).orElse(null),
                source.map(m -> m.partition()).orElse(null), source.map(m -> m.offset()).orElse(null))) {
            this.logContext = logContext;
            Attempt attempt = new Attempt();
            try {
                route(record, attempt);
            } catch (KafkaException e) {
                // Includes StreamsException, TaskMigratedException, ProducerFencedException: Kafka
                // Streams must see these to abort the transaction or hand the task over.
                throw e;
            } catch (RuntimeException e) {
                if (attempt.forwarding) {
                    // Some records are already forwarded and cannot be taken back: only aborting the
                    // transaction keeps the record all-or-nothing.
                    throw new StreamsException("failed while forwarding the requests of the record at " + where(), e);
                }
                LOG.error("Unexpected error routing the record at {}; dead-lettering it", where(), e);
                deadLetter(record, PROCESSING_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage(),
                        attempt.metadata);
            }
        } finally {
            this.logContext = null;
        }
    }

    /** What is known about the record being routed, for the dead-letter path. */
    private static final class Attempt {
        EventMetadata metadata;
        /** Set once the first record is forwarded: from then on a failure must abort the transaction. */
        boolean forwarding;
    }

    /**
     * One routed (event, trigger, target) waiting for every other trigger of the record to be
     * decided; {@code dedupScope} is what the dedup store marks ({@link TriggerVerdicts.Verdict#dedupScope()}).
     */
    private record Pending(String dedupScope, AgentRequests.Built request) {
    }

    /**
     * All or nothing per raw record: every trigger is decided and every request built before the
     * first dedup mark or forward, so an unexpected failure for any trigger leaves no mark and no
     * request, and re-driving the dead-lettered record routes every trigger once.
     */
    private void route(Record<byte[], byte[]> record, Attempt attempt) {
        if (record.value() == null) {
            deadLetter(record, InvalidEventException.NOT_JSON, "record has no value", null);
            return;
        }
        PagerDutyEvent event;
        try {
            event = PagerDutyEvent.parse(record.value());
        } catch (InvalidEventException e) {
            deadLetter(record, e.reason(), e.detail(), null);
            return;
        }
        EventMetadata md = event.metadata();
        if (logContext != null) {
            logContext.put(LogContext.EVENT_ID, md.eventId()).put(LogContext.INCIDENT, md.incidentId());
        }
        attempt.metadata = md;
        String webhookId = PipelineHeaders.text(record.headers(), PipelineHeaders.WEBHOOK_ID);
        String receivedAt = PipelineHeaders.text(record.headers(), PipelineHeaders.RECEIVED_AT);
        long now = context.currentSystemTimeMs();
        if (event.isPing()) {
            byte[] decision = DecisionRecord.toJson(md, webhookId, receivedAt, Instant.ofEpochMilli(now), source(),
                    DecisionRecord.PING, null, null, PipelineHeaders.secretFingerprints(record.headers()), List.of());
            attempt.forwarding = true;
            forwardDecision(record, decision);
            metrics.ping();
            metrics.record("ping");
            LOG.debug("Ping event {} at {} counted, not routed", md.eventId(), where());
            return;
        }
        Set<String> fingerprints = PipelineHeaders.secretFingerprints(record.headers());
        if (fingerprints == null) {
            deadLetter(record, NO_FINGERPRINT, "no " + PipelineHeaders.SECRET_FINGERPRINTS
                    + " header: the record did not come through the ingress", md);
            return;
        }

        // 1. Decide every trigger and build every request; nothing is marked or sent yet.
        List<TriggerVerdicts.Verdict> verdicts = TriggerVerdicts.evaluate(currentTriggers(), fingerprints, md);
        List<DecisionRecord.TriggerDecision> decisions = new ArrayList<>(verdicts.size());
        List<Pending> pending = new ArrayList<>();
        Instant routedAt = Instant.ofEpochMilli(now);
        boolean anyEnabled = false;
        for (TriggerVerdicts.Verdict v : verdicts) {
            Trigger trigger = v.trigger();
            switch (v.kind()) {
                case NOT_SIGNED -> decisions.add(new DecisionRecord.TriggerDecision(trigger.name(),
                        DecisionRecord.DECISION_NOT_SIGNED, null, v.reason(), null, null, null, null));
                case DISABLED -> decisions.add(new DecisionRecord.TriggerDecision(trigger.name(),
                        DecisionRecord.DECISION_DISABLED, null, v.reason(), null, null, null, null));
                case REJECTED -> {
                    anyEnabled = true;
                    decisions.add(new DecisionRecord.TriggerDecision(trigger.name(), DecisionRecord.DECISION_REJECTED,
                            v.field(), v.reason(), null, null, null, null));
                }
                case ROUTED -> {
                    anyEnabled = true;
                    Target target = v.target();
                    String topic = topics.agentTopic(target.name());
                    if (dedup.contains(md.eventId(), v.dedupScope(), now)) {
                        decisions.add(new DecisionRecord.TriggerDecision(trigger.name(),
                                DecisionRecord.DECISION_DUPLICATE, null, DUPLICATE_REASON + " (" + target + ", "
                                + v.decidedBy() + ")", target.kind().wireName(), target.name(), null, null, v.decidedBy()));
                    } else {
                        AgentRequests.Built request = requests.build(topic, trigger, target, event, record.key(),
                                record.headers(), routedAt);
                        pending.add(new Pending(v.dedupScope(), request));
                        decisions.add(new DecisionRecord.TriggerDecision(trigger.name(),
                                DecisionRecord.DECISION_ROUTED, null, "to " + target + " on " + topic + " ("
                                + v.decidedBy() + ")", target.kind().wireName(), target.name(), topic,
                                request.requestId(), v.decidedBy()));
                    }
                }
                default -> throw new IllegalStateException("unknown verdict " + v.kind());
            }
        }
        String outcome = pending.isEmpty() ? DecisionRecord.NOT_ROUTED : DecisionRecord.ROUTED;
        byte[] decisionRecord = DecisionRecord.toJson(md, webhookId, receivedAt, routedAt, source(), outcome, null,
                null, fingerprints, decisions);

        // 2. Mark and forward: only Kafka can fail from here on, and it aborts the whole transaction.
        attempt.forwarding = true;
        for (Pending p : pending) {
            dedup.mark(md.eventId(), p.dedupScope(), now);
            AgentRequests.Built r = p.request();
            context.forward(new Record<byte[], Object>(record.key(), new AgentRequest(r.topic(), r.body()),
                    record.timestamp(), r.headers()), RoutingTopology.AGENT_SINK);
            // In the same transaction: which trigger made this request, for the notes writer.
            context.forward(new Record<byte[], Object>(r.requestLogKey(), r.requestLogValue(), record.timestamp()),
                    RoutingTopology.REQUEST_LOG_SINK);
        }
        forwardDecision(record, decisionRecord);

        for (DecisionRecord.TriggerDecision d : decisions) {
            switch (d.decision()) {
                case DecisionRecord.DECISION_NOT_SIGNED -> {
                }
                case DecisionRecord.DECISION_REJECTED -> decided(md, d.trigger(), rejectedOutcome(d.field()), d.reason());
                default -> decided(md, d.trigger(), d.decision(), d.reason());
            }
        }
        if (!anyEnabled) {
            metrics.unmatched();
            LOG.debug("Event {} at {}: no enabled trigger has a secret that signed it", md.eventId(), where());
        }
        metrics.record(outcome);
    }

    private void forwardDecision(Record<byte[], byte[]> record, byte[] decision) {
        context.forward(new Record<byte[], Object>(record.key(), decision, record.timestamp()),
                RoutingTopology.DECISIONS_SINK);
    }

    private DecisionRecord.Source source() {
        RecordMetadata m = context.recordMetadata().orElse(null);
        return m == null ? null : new DecisionRecord.Source(m.topic(), m.partition(), m.offset());
    }

    private void deadLetter(Record<byte[], byte[]> record, String reason, String detail, EventMetadata md) {
        Headers headers = new RecordHeaders(record.headers().toArray());
        for (String name : List.of(PipelineHeaders.DLQ_REASON, PipelineHeaders.DLQ_DETAIL,
                PipelineHeaders.DLQ_SOURCE_TOPIC, PipelineHeaders.DLQ_SOURCE_PARTITION,
                PipelineHeaders.DLQ_SOURCE_OFFSET, PipelineHeaders.DLQ_AT)) {
            headers.remove(name);
        }
        String shortDetail = truncate(detail);
        headers.add(PipelineHeaders.DLQ_REASON, utf8(reason));
        headers.add(PipelineHeaders.DLQ_DETAIL, utf8(shortDetail));
        RecordMetadata source = context.recordMetadata().orElse(null);
        if (source != null) {
            headers.add(PipelineHeaders.DLQ_SOURCE_TOPIC, utf8(source.topic()));
            headers.add(PipelineHeaders.DLQ_SOURCE_PARTITION, utf8(String.valueOf(source.partition())));
            headers.add(PipelineHeaders.DLQ_SOURCE_OFFSET, utf8(String.valueOf(source.offset())));
        }
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        headers.add(PipelineHeaders.DLQ_AT, utf8(now.toString()));
        byte[] decision = DecisionRecord.toJson(md, PipelineHeaders.text(record.headers(), PipelineHeaders.WEBHOOK_ID),
                PipelineHeaders.text(record.headers(), PipelineHeaders.RECEIVED_AT), now, source(),
                DecisionRecord.DEAD_LETTERED, reason, shortDetail, PipelineHeaders.secretFingerprints(record.headers()),
                List.of());
        context.forward(new Record<byte[], Object>(record.key(), record.value(), record.timestamp(), headers),
                RoutingTopology.DEAD_LETTER_SINK);
        forwardDecision(record, decision);
        metrics.deadLetter(reason);
        metrics.record("dead_lettered");
        LOG.warn("Dead-lettered the record at {} to {}: {} ({})", where(), topics.deadLetter(), reason, detail);
    }

    private void decided(EventMetadata md, String trigger, String outcome, String reason) {
        metrics.decision(trigger, outcome);
        if (LOG.isDebugEnabled()) {
            MDC.put(LogContext.TRIGGER, trigger);
            try {
                LOG.debug("Event {} ({}) at {}: trigger {} -> {} ({})", md.eventId(), md.eventType(), where(), trigger,
                        outcome, reason);
            } finally {
                MDC.remove(LogContext.TRIGGER);
            }
        }
    }

    private void purge(long now) {
        int deleted = dedup.purge(now, options.purgeBatch());
        metrics.purged(deleted);
        if (deleted > 0) {
            LOG.debug("Purged {} expired dedup entries of task {}", deleted, context.taskId());
        }
    }

    /** The triggers with their fingerprints, re-computed only when the set changes. */
    private List<TriggerVerdicts.Signed> currentTriggers() {
        TriggerSet set = triggers.get();
        if (set == null) {
            set = TriggerSet.empty();
        }
        if (set != indexedSet) {
            indexed = TriggerVerdicts.signed(set);
            indexedSet = set;
        }
        return indexed;
    }

    /**
     * The metric outcome of a rejection: {@code rejected_<field>} with the field's last path
     * segment, every {@code filter.*} field folded into {@code rejected_filter} so tags stay bounded.
     */
    static String rejectedOutcome(String field) {
        if (field == null || field.isBlank()) {
            return "rejected";
        }
        String f = field.trim().toLowerCase(Locale.ROOT);
        if (f.startsWith("filter") || f.startsWith("spec.filter") || f.startsWith("metadata.")) {
            return "rejected_filter";
        }
        int dot = f.lastIndexOf('.');
        String last = dot >= 0 ? f.substring(dot + 1) : f;
        return "rejected_" + last.replaceAll("[^a-z0-9_]", "_");
    }

    private String where() {
        RecordMetadata m = context == null ? null : context.recordMetadata().orElse(null);
        return m == null ? "?" : m.topic() + "-" + m.partition() + "@" + m.offset();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String truncate(String s) {
        String v = Objects.requireNonNullElse(s, "");
        return v.length() <= MAX_DETAIL_LENGTH ? v : v.substring(0, MAX_DETAIL_LENGTH) + "...";
    }

}
