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
import dev.pdpipeline.processor.envelope.AgentRequestEnvelope;
import dev.pdpipeline.processor.envelope.AgentRequestHeaders;
import dev.pdpipeline.processor.notes.RequestLogRecord;
import dev.pdpipeline.processor.routing.Decision;
import dev.pdpipeline.processor.routing.TriggerMatcher;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
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
 * Routes one raw delivery: parse, pick the enabled triggers whose secret signed it, filter,
 * deduplicate per (event id, trigger), and emit one request per matching trigger. Anything it
 * cannot handle goes to the dead-letter topic with the reason, so one bad record never stops
 * the stream; Kafka's own errors are rethrown so that exactly-once processing stays intact.
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

    private final TopicCatalogue topics;
    private final Supplier<TriggerSet> triggers;
    private final RoutingOptions options;
    private final RoutingMetrics metrics;

    private ProcessorContext<byte[], Object> context;
    private DedupStore dedup;
    private TriggerSet indexedSet;
    private List<IndexedTrigger> indexed = List.of();

    RoutingProcessor(TopicCatalogue topics, Supplier<TriggerSet> triggers, RoutingOptions options,
            RoutingMetrics metrics) {
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
            try {
                route(record);
            } catch (KafkaException e) {
                // Includes StreamsException, TaskMigratedException, ProducerFencedException: Kafka
                // Streams must see these to abort the transaction or hand the task over.
                throw e;
            } catch (RuntimeException e) {
                LOG.error("Unexpected error routing the record at {}; dead-lettering it", where(), e);
                deadLetter(record, PROCESSING_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        } finally {
            this.logContext = null;
        }
    }

    private void route(Record<byte[], byte[]> record) {
        if (record.value() == null) {
            deadLetter(record, InvalidEventException.NOT_JSON, "record has no value");
            return;
        }
        PagerDutyEvent event;
        try {
            event = PagerDutyEvent.parse(record.value());
        } catch (InvalidEventException e) {
            deadLetter(record, e.reason(), e.detail());
            return;
        }
        EventMetadata md = event.metadata();
        if (logContext != null) {
            logContext.put(LogContext.EVENT_ID, md.eventId()).put(LogContext.INCIDENT, md.incidentId());
        }
        if (event.isPing()) {
            metrics.ping();
            metrics.record("ping");
            LOG.debug("Ping event {} at {} counted, not routed", md.eventId(), where());
            return;
        }
        Set<String> fingerprints = PipelineHeaders.secretFingerprints(record.headers());
        if (fingerprints == null) {
            deadLetter(record, NO_FINGERPRINT, "no " + PipelineHeaders.SECRET_FINGERPRINTS
                    + " header: the record did not come through the ingress");
            return;
        }
        String webhookId = PipelineHeaders.text(record.headers(), PipelineHeaders.WEBHOOK_ID);
        String receivedAt = PipelineHeaders.text(record.headers(), PipelineHeaders.RECEIVED_AT);
        long now = context.currentSystemTimeMs();
        int routed = 0;
        boolean anyEnabled = false;
        for (IndexedTrigger candidate : currentTriggers()) {
            if (!fingerprints.contains(candidate.fingerprint())) {
                continue;
            }
            Trigger trigger = candidate.trigger();
            if (!trigger.enabled()) {
                decided(md, trigger.name(), OUTCOME_DISABLED, "trigger is disabled");
                continue;
            }
            anyEnabled = true;
            Decision decision = TriggerMatcher.evaluate(trigger, md);
            if (decision instanceof Decision.Rejected rejected) {
                decided(md, trigger.name(), rejectedOutcome(rejected.field()), rejected.reason());
                continue;
            }
            Decision.Routed match = (Decision.Routed) decision;
            if (!dedup.markIfFirst(md.eventId(), match.dedupScope(), now)) {
                decided(md, trigger.name(), OUTCOME_DUPLICATE, "already routed within the dedup window");
                continue;
            }
            forwardRequest(record, event, trigger, match.target(), webhookId, receivedAt, now);
            decided(md, trigger.name(), OUTCOME_ROUTED, "to " + match.target() + " on "
                    + topics.agentTopic(match.target().name()) + " (" + match.decidedBy() + ")");
            routed++;
        }
        if (!anyEnabled) {
            metrics.unmatched();
            LOG.debug("Event {} at {}: no enabled trigger has a secret that signed it", md.eventId(), where());
        }
        metrics.record(routed > 0 ? "routed" : "not_routed");
    }

    private void forwardRequest(Record<byte[], byte[]> record, PagerDutyEvent event, Trigger trigger,
            Target target, String webhookId, String receivedAt, long now) {
        String topic = topics.agentTopic(target.name());
        EventMetadata md = event.metadata();
        String requestId = AgentRequestEnvelope.requestId(md.eventId(), trigger.name());
        byte[] body = AgentRequestEnvelope.toBytes(AgentRequestEnvelope.build(
                trigger, target, event, webhookId, receivedAt, Instant.ofEpochMilli(now), false, requestId));
        Headers headers = new RecordHeaders();
        copyHeader(record.headers(), headers, PipelineHeaders.WEBHOOK_ID);
        copyHeader(record.headers(), headers, PipelineHeaders.RECEIVED_AT);
        headers.add(AgentRequestHeaders.TRIGGER, utf8(trigger.name()));
        headers.add(AgentRequestHeaders.REQUEST_ID, utf8(requestId));
        headers.add(AgentRequestHeaders.SCHEMA_VERSION, utf8(String.valueOf(AgentRequestEnvelope.SCHEMA_VERSION)));
        context.forward(new Record<byte[], Object>(record.key(), new AgentRequest(topic, body), record.timestamp(),
                headers), RoutingTopology.AGENT_SINK);
        // In the same transaction: which trigger made this request, for the notes writer.
        context.forward(new Record<byte[], Object>(RequestLogRecord.key(requestId),
                RequestLogRecord.toJson(requestId, trigger.name(), target.name(), md.incidentId(), md.eventId(),
                        false, true, Instant.ofEpochMilli(now)),
                record.timestamp()), RoutingTopology.REQUEST_LOG_SINK);
    }

    private void deadLetter(Record<byte[], byte[]> record, String reason, String detail) {
        Headers headers = new RecordHeaders(record.headers().toArray());
        for (String name : List.of(PipelineHeaders.DLQ_REASON, PipelineHeaders.DLQ_DETAIL,
                PipelineHeaders.DLQ_SOURCE_TOPIC, PipelineHeaders.DLQ_SOURCE_PARTITION,
                PipelineHeaders.DLQ_SOURCE_OFFSET, PipelineHeaders.DLQ_AT)) {
            headers.remove(name);
        }
        headers.add(PipelineHeaders.DLQ_REASON, utf8(reason));
        headers.add(PipelineHeaders.DLQ_DETAIL, utf8(truncate(detail)));
        RecordMetadata source = context.recordMetadata().orElse(null);
        if (source != null) {
            headers.add(PipelineHeaders.DLQ_SOURCE_TOPIC, utf8(source.topic()));
            headers.add(PipelineHeaders.DLQ_SOURCE_PARTITION, utf8(String.valueOf(source.partition())));
            headers.add(PipelineHeaders.DLQ_SOURCE_OFFSET, utf8(String.valueOf(source.offset())));
        }
        headers.add(PipelineHeaders.DLQ_AT, utf8(Instant.ofEpochMilli(context.currentSystemTimeMs()).toString()));
        context.forward(new Record<byte[], Object>(record.key(), record.value(), record.timestamp(), headers),
                RoutingTopology.DEAD_LETTER_SINK);
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

    /** The enabled and disabled triggers with their fingerprints, re-indexed when the set changes. */
    private List<IndexedTrigger> currentTriggers() {
        TriggerSet set = triggers.get();
        if (set == null) {
            set = TriggerSet.empty();
        }
        if (set != indexedSet) {
            List<IndexedTrigger> list = new ArrayList<>(set.triggers().size());
            for (Trigger t : set.triggers()) {
                list.add(new IndexedTrigger(t, t.secretFingerprint()));
            }
            indexed = List.copyOf(list);
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

    private static void copyHeader(Headers from, Headers to, String name) {
        Header h = from.lastHeader(name);
        if (h != null) {
            to.add(name, h.value());
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String truncate(String s) {
        String v = Objects.requireNonNullElse(s, "");
        return v.length() <= MAX_DETAIL_LENGTH ? v : v.substring(0, MAX_DETAIL_LENGTH) + "...";
    }

    private record IndexedTrigger(Trigger trigger, String fingerprint) {
    }
}
