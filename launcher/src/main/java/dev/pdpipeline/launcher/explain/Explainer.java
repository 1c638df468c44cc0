package dev.pdpipeline.launcher.explain;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.event.InvalidEventException;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.decisions.DecisionRecord;
import dev.pdpipeline.processor.envelope.AgentRequestEnvelope;
import dev.pdpipeline.processor.replay.KeyPartitions;
import dev.pdpipeline.processor.replay.RawTopicScanner;
import dev.pdpipeline.processor.replay.TimeRange;
import dev.pdpipeline.processor.routing.TriggerVerdicts;
import dev.pdpipeline.processor.routing.TriggerVerdicts.Verdict;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.IntFunction;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Answers "why did (or didn't) my agent get this event": reads the incident's (or the event's)
 * raw records and, from the decisions topic, what the processor actually decided for each of
 * them under the Triggers in force at the time. For a record without a recorded decision (older
 * than the decisions topic, or not processed yet) it shows, clearly labelled, what the current
 * Trigger files would decide, with the processor's own decision function ({@link TriggerVerdicts}).
 */
public final class Explainer {

    /**
     * One raw record and what the triggers make of it.
     *
     * @param problem     why the record is not routed at all (invalid, ping, unsigned), or null
     * @param duplicateOf the offset of an earlier record with the same event id, or null
     * @param verdicts    what the current Trigger files decide, one per trigger; empty when
     *                    {@code problem} is set
     * @param recorded    what the processor decided and recorded on the decisions topic, or null
     * @param signedBy    fingerprints of the secrets that signed the delivery (header), or null
     */
    public record Explanation(int partition, long offset, long timestamp, String webhookId, String eventId,
            String eventType, String incidentId, String problem, Long duplicateOf, List<Verdict> verdicts,
            DecisionRecord recorded, Set<String> signedBy) {
        public Explanation {
            verdicts = List.copyOf(verdicts);
        }

        Explanation withRecorded(DecisionRecord decision) {
            return new Explanation(partition, offset, timestamp, webhookId, eventId, eventType, incidentId, problem,
                    duplicateOf, verdicts, decision, signedBy);
        }
    }

    /**
     * The result of a query: what was read and what was found.
     *
     * @param decisionsTopic       the decisions topic read
     * @param decisionsTopicExists false when it does not exist (a processor older than it)
     */
    public record Result(String topic, List<Integer> partitions, TimeRange range, List<Explanation> events,
            String decisionsTopic, boolean decisionsTopicExists) {
        public Result {
            partitions = List.copyOf(partitions);
            events = List.copyOf(events);
        }
    }

    private final ProcessorConfig config;
    private final TopicCatalogue topics;
    private final TriggerSet triggers;
    /** False when no Trigger files were read: recorded decisions only, nothing compared with today's. */
    private final boolean currentTriggersRead;

    public Explainer(ProcessorConfig config, TriggerSet triggers) {
        this(config, triggers, true);
    }

    public Explainer(ProcessorConfig config, TriggerSet triggers, boolean currentTriggersRead) {
        this.config = Objects.requireNonNull(config, "config");
        this.topics = config.topics();
        this.triggers = Objects.requireNonNull(triggers, "triggers");
        this.currentTriggersRead = currentTriggersRead;
    }

    /** The events of one incident: only the partition its key maps to is read. */
    public Result byIncident(String incidentId, TimeRange range) {
        Objects.requireNonNull(incidentId, "incidentId");
        Result raw;
        try (RawTopicScanner scanner = scanner()) {
            int partition = KeyPartitions.partitionFor(incidentId, scanner.partitionCount());
            raw = read(scanner, Set.of(partition), range, (key, md) -> incidentId.equals(key)
                    || md != null && incidentId.equals(md.incidentId()));
        }
        // The decisions topic is keyed like the raw topic: one partition holds the incident.
        return withRecordedDecisions(raw, range, count -> Set.of(KeyPartitions.partitionFor(incidentId, count)),
                (key, d) -> incidentId.equals(key) || incidentId.equals(d.incidentId()));
    }

    /** Every record of one event id: every partition is read, so bound it with {@code range}. */
    public Result byEvent(String eventId, TimeRange range) {
        Objects.requireNonNull(eventId, "eventId");
        Result raw;
        try (RawTopicScanner scanner = scanner()) {
            raw = read(scanner, null, range, (key, md) -> md != null && eventId.equals(md.eventId()));
        }
        return withRecordedDecisions(raw, range, count -> null, (key, d) -> eventId.equals(d.eventId()));
    }

    private RawTopicScanner scanner() {
        return new RawTopicScanner(config.kafkaClientProperties(), topics.raw(), config.topicCreateTimeout());
    }

    private interface DecisionSelector {
        boolean test(String key, DecisionRecord decision);
    }

    /**
     * Attaches to each raw record the decision recorded for it (matched by source topic,
     * partition and offset). Decision records carry their raw record's timestamp, so the same
     * time range selects both.
     */
    private Result withRecordedDecisions(Result raw, TimeRange range,
            IntFunction<Set<Integer>> partitionsFor, DecisionSelector selector) {
        Map<Long, DecisionRecord> bySource = new HashMap<>();
        boolean exists;
        try (RawTopicScanner scanner = new RawTopicScanner(config.kafkaClientProperties(), topics.decisions(),
                TopicCatalogue.DECISIONS_TOPIC_ENV, config.topicCreateTimeout())) {
            exists = scanner.exists();
            if (exists && !raw.events().isEmpty()) {
                RawTopicScanner.Plan plan = scanner.plan(partitionsFor.apply(scanner.partitionCount()), range);
                scanner.scan(plan, record -> {
                    DecisionRecord d;
                    try {
                        d = DecisionRecord.parse(record.value());
                    } catch (IllegalArgumentException e) {
                        return; // not ours: readers skip what they do not understand
                    }
                    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
                    if (d.source() == null || !raw.topic().equals(d.source().topic()) || !selector.test(key, d)) {
                        return;
                    }
                    bySource.put(sourceKey(d.source().partition(), d.source().offset()), d);
                });
            }
        }
        List<Explanation> events = new ArrayList<>(raw.events().size());
        for (Explanation e : raw.events()) {
            events.add(e.withRecorded(bySource.get(sourceKey(e.partition(), e.offset()))));
        }
        return new Result(raw.topic(), raw.partitions(), raw.range(), events, topics.decisions(), exists);
    }

    private static long sourceKey(int partition, long offset) {
        // Offsets stay far below 2^48 in practice; partitions below 2^15.
        return ((long) partition << 48) ^ offset;
    }

    private interface Selector {
        boolean test(String key, EventMetadata metadata);
    }

    private Result read(RawTopicScanner scanner, Set<Integer> partitions, TimeRange range, Selector selector) {
        RawTopicScanner.Plan plan = scanner.plan(partitions, range);
        List<Explanation> found = new ArrayList<>();
        Map<String, Long> firstOffset = new HashMap<>();
        scanner.scan(plan, record -> {
            if (!range.contains(record.timestamp())) {
                return;
            }
            Explanation e = explain(record, selector, firstOffset);
            if (e != null) {
                found.add(e);
            }
        });
        found.sort(Comparator.comparingLong(Explanation::timestamp).thenComparingInt(Explanation::partition)
                .thenComparingLong(Explanation::offset));
        return new Result(topics.raw(), plan.partitions(), range, found, topics.decisions(), false);
    }

    private Explanation explain(ConsumerRecord<byte[], byte[]> record, Selector selector, Map<String, Long> first) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        String webhookId = PipelineHeaders.text(record.headers(), PipelineHeaders.WEBHOOK_ID);
        PagerDutyEvent event;
        try {
            if (record.value() == null) {
                throw new InvalidEventException(InvalidEventException.NOT_JSON, "record has no value");
            }
            event = PagerDutyEvent.parse(record.value());
        } catch (InvalidEventException e) {
            if (!selector.test(key, null)) {
                return null;
            }
            return new Explanation(record.partition(), record.offset(), record.timestamp(), webhookId, null, null,
                    key, "not a valid PagerDuty event (" + e.reason() + ": " + e.detail()
                            + "): the processor dead-letters it", null, List.of(), null, null);
        }
        EventMetadata md = event.metadata();
        if (!selector.test(key, md)) {
            return null;
        }
        Long duplicateOf = first.putIfAbsent(md.eventId(), record.offset());
        if (event.isPing()) {
            return new Explanation(record.partition(), record.offset(), record.timestamp(), webhookId, md.eventId(),
                    md.eventType(), md.incidentId(), "pagey.ping: counted, never routed", duplicateOf, List.of(),
                    null, null);
        }
        Set<String> fingerprints = PipelineHeaders.secretFingerprints(record.headers());
        if (fingerprints == null) {
            return new Explanation(record.partition(), record.offset(), record.timestamp(), webhookId, md.eventId(),
                    md.eventType(), md.incidentId(), "no " + PipelineHeaders.SECRET_FINGERPRINTS
                            + " header (it did not come through the ingress): the processor dead-letters it",
                    duplicateOf, List.of(), null, null);
        }
        return new Explanation(record.partition(), record.offset(), record.timestamp(), webhookId, md.eventId(),
                md.eventType(), md.incidentId(), null, duplicateOf,
                TriggerVerdicts.evaluate(triggers, fingerprints, md), null, fingerprints);
    }

    /** Human-readable output. */
    public void printText(Result result, String subject, PrintWriter out) {
        printText(result, subject, false, out);
    }

    /**
     * Human-readable output.
     *
     * @param withCurrent also show what the current Trigger files would decide for records whose
     *                    decision is recorded
     */
    public void printText(Result result, String subject, boolean withCurrent, PrintWriter out) {
        out.printf("%s: %d record(s) in %s partition(s) %s, %s%n", subject, result.events().size(), result.topic(),
                result.partitions(), result.range().describe());
        if (!result.decisionsTopicExists()) {
            out.printf("(decisions topic %s does not exist: no recorded decisions; showing what the current Trigger"
                    + " files would decide)%n", result.decisionsTopic());
        }
        if (triggers.isEmpty() && currentTriggersRead) {
            out.println("(the Trigger files hold no triggers: nothing would be routed)");
        }
        for (Explanation e : result.events()) {
            out.println();
            out.printf("%s  %s  event %s  incident %s  (partition %d, offset %d%s)%n",
                    Instant.ofEpochMilli(e.timestamp()), e.eventType() == null ? "?" : e.eventType(),
                    e.eventId() == null ? "?" : e.eventId(), e.incidentId() == null ? "-" : e.incidentId(),
                    e.partition(), e.offset(), e.webhookId() == null ? "" : ", webhook " + e.webhookId());
            if (e.duplicateOf() != null) {
                out.printf("  same event id as offset %d (a redelivery): the processor routes each (event, trigger)"
                        + " once within its dedup window%n", e.duplicateOf());
            }
            if (e.recorded() != null) {
                printRecorded(e.recorded(), out);
                if (!withCurrent || e.problem() != null) {
                    continue;
                }
                out.println("  the current Trigger files would decide:");
            } else if (e.problem() != null) {
                out.println("  " + e.problem());
                continue;
            } else {
                out.println("  no decision recorded for this record (older than the decisions topic, or not"
                        + " processed yet); the current Trigger files would decide:");
            }
            if (e.signedBy() != null && e.verdicts().stream().anyMatch(v -> v.kind() == TriggerVerdicts.Kind.NOT_SIGNED)
                    && (e.recorded() == null || e.recorded().signedBy() == null)) {
                printSignedBy(e.signedBy(), out);
            }
            int width = e.verdicts().stream().mapToInt(v -> v.trigger().name().length()).max().orElse(0);
            for (Verdict v : e.verdicts()) {
                String outcome = v.kind().name().replace('_', ' ');
                String detail = v.routed() ? "-> " + v.target() + " on " + topics.agentTopic(v.target().name())
                        + " (decided by " + v.decidedBy() + "; request_id "
                        + AgentRequestEnvelope.requestId(e.eventId(), v.trigger().name()) + ")" : v.describe();
                out.printf("  %-" + Math.max(width, 1) + "s  %-10s  %s%n", v.trigger().name(), outcome, detail);
            }
        }
        out.flush();
    }

    private static void printSignedBy(Collection<String> fingerprints, PrintWriter out) {
        out.printf("  signed by the secret(s) with fingerprint(s) %s (bin/pipeline triggers validate prints each"
                + " Trigger's)%n", fingerprints);
    }

    private void printRecorded(DecisionRecord d, PrintWriter out) {
        String outcome = d.outcome().replace('_', ' ');
        out.printf("  decided by the processor at %s (recorded on %s): %s%s%n",
                d.decidedAt() == null ? "?" : d.decidedAt(), topics.decisions(), outcome,
                d.deadLetterReason() == null ? "" : " to " + topics.deadLetter() + ", reason " + d.deadLetterReason()
                        + (d.deadLetterDetail() == null ? "" : " (" + d.deadLetterDetail() + ")"));
        if (d.signedBy() != null && d.triggers().stream()
                .anyMatch(t -> DecisionRecord.DECISION_NOT_SIGNED.equals(t.decision()))) {
            printSignedBy(d.signedBy(), out);
        }
        int width = d.triggers().stream().mapToInt(t -> t.trigger().length()).max().orElse(0);
        for (DecisionRecord.TriggerDecision t : d.triggers()) {
            String decision = t.decision().toUpperCase(Locale.ROOT).replace('_', ' ');
            String detail;
            if (t.routed()) {
                detail = "-> " + (t.targetName() == null ? "" : (t.targetKind() == null ? DecisionRecord.TARGET_AGENT
                        : t.targetKind()) + " " + t.targetName() + " on ") + t.topic() + " ("
                        + (t.decidedBy() == null ? "" : "decided by " + t.decidedBy() + "; ") + "request_id "
                        + t.requestId() + ")";
            } else if (DecisionRecord.DECISION_REJECTED.equals(t.decision())) {
                detail = t.field() + ": " + t.reason();
            } else {
                detail = t.reason() == null ? "" : t.reason();
            }
            if (currentTriggersRead && triggers.byName(t.trigger()).isEmpty()) {
                detail += " [trigger no longer in the Trigger files]";
            }
            out.printf("  %-" + Math.max(width, 1) + "s  %-10s  %s%n", t.trigger(), decision, detail);
        }
    }

    /** The result as JSON: {@code {"topic","partitions","from","to","events":[...]}}. */
    public ObjectNode toJson(Result result) {
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("topic", result.topic());
        ArrayNode partitions = json.putArray("partitions");
        result.partitions().forEach(partitions::add);
        json.put("from", result.range().from() == null ? null : result.range().from().toString());
        json.put("to", result.range().to() == null ? null : result.range().to().toString());
        json.put("decisions_topic", result.decisionsTopic());
        json.put("decisions_topic_exists", result.decisionsTopicExists());
        ArrayNode events = json.putArray("events");
        for (Explanation e : result.events()) {
            ObjectNode ev = events.addObject();
            ev.put("timestamp", Instant.ofEpochMilli(e.timestamp()).toString());
            ev.put("partition", e.partition());
            ev.put("offset", e.offset());
            ev.put("event_id", e.eventId());
            ev.put("event_type", e.eventType());
            ev.put("incident_id", e.incidentId());
            ev.put("webhook_id", e.webhookId());
            ev.put("problem", e.problem());
            if (e.signedBy() != null) {
                ArrayNode signed = ev.putArray("signed_by");
                e.signedBy().forEach(signed::add);
            }
            if (e.duplicateOf() == null) {
                ev.putNull("duplicate_of_offset");
            } else {
                ev.put("duplicate_of_offset", e.duplicateOf());
            }
            DecisionRecord d = e.recorded();
            ev.put("decision_source", d != null ? "recorded" : e.problem() != null ? null : "current_triggers");
            if (d != null) {
                ObjectNode rec = ev.putObject("recorded");
                rec.put("decided_at", d.decidedAt());
                rec.put("outcome", d.outcome());
                if (d.signedBy() != null) {
                    ArrayNode signed = rec.putArray("signed_by");
                    d.signedBy().forEach(signed::add);
                }
                if (d.deadLetterReason() != null) {
                    rec.putObject("dead_letter").put("reason", d.deadLetterReason())
                            .put("detail", d.deadLetterDetail());
                }
                ArrayNode recorded = rec.putArray("triggers");
                for (DecisionRecord.TriggerDecision t : d.triggers()) {
                    ObjectNode o = recorded.addObject();
                    o.put("trigger", t.trigger());
                    o.put("agent", t.targetName());
                    o.put("outcome", t.decision());
                    o.put("field", t.field());
                    o.put("reason", t.reason());
                    if (t.targetName() != null) {
                        ObjectNode target = o.putObject("target");
                        target.put("kind", t.targetKind() == null ? DecisionRecord.TARGET_AGENT : t.targetKind());
                        target.put("name", t.targetName());
                    }
                    if (t.decidedBy() != null) {
                        o.put("decided_by", t.decidedBy());
                    }
                    if (t.topic() != null) {
                        o.put("topic", t.topic());
                    }
                    if (t.requestId() != null) {
                        o.put("request_id", t.requestId());
                    }
                }
            }
            ArrayNode verdicts = ev.putArray("triggers");
            for (Verdict v : e.verdicts()) {
                ObjectNode t = verdicts.addObject();
                t.put("trigger", v.trigger().name());
                t.put("agent", v.routed() ? v.target().name() : v.trigger().agent());
                t.put("outcome", v.kind().name().toLowerCase(Locale.ROOT));
                t.put("field", v.field());
                t.put("reason", v.reason());
                if (v.routed()) {
                    ObjectNode target = t.putObject("target");
                    target.put("kind", v.target().kind().wireName());
                    target.put("name", v.target().name());
                    t.put("decided_by", v.decidedBy());
                    t.put("topic", topics.agentTopic(v.target().name()));
                    t.put("request_id", AgentRequestEnvelope.requestId(e.eventId(), v.trigger().name()));
                }
            }
        }
        return json;
    }
}
