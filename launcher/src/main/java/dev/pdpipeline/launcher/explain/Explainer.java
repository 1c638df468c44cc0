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
import dev.pdpipeline.processor.replay.KeyPartitions;
import dev.pdpipeline.processor.replay.RawTopicScanner;
import dev.pdpipeline.processor.replay.TimeRange;
import dev.pdpipeline.processor.routing.TriggerVerdicts;
import dev.pdpipeline.processor.routing.TriggerVerdicts.Verdict;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.envelope.AgentRequestEnvelope;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Answers "why did (or didn't) my agent get this event": reads the incident's (or the event's)
 * raw records and shows, per Trigger, the verdict of the current Trigger files with the
 * rejecting field, using the same checks as the processor ({@link TriggerVerdicts}).
 */
public final class Explainer {

    /**
     * One raw record and what the triggers make of it.
     *
     * @param problem     why the record is not routed at all (invalid, ping, unsigned), or null
     * @param duplicateOf the offset of an earlier record with the same event id, or null
     * @param verdicts    one per trigger, empty when {@code problem} is set
     */
    public record Explanation(int partition, long offset, long timestamp, String webhookId, String eventId,
            String eventType, String incidentId, String problem, Long duplicateOf, List<Verdict> verdicts) {
        public Explanation {
            verdicts = List.copyOf(verdicts);
        }
    }

    /** The result of a query: what was read and what was found. */
    public record Result(String topic, List<Integer> partitions, TimeRange range, List<Explanation> events) {
        public Result {
            partitions = List.copyOf(partitions);
            events = List.copyOf(events);
        }
    }

    private final ProcessorConfig config;
    private final TopicCatalogue topics;
    private final TriggerSet triggers;

    public Explainer(ProcessorConfig config, TriggerSet triggers) {
        this.config = Objects.requireNonNull(config, "config");
        this.topics = config.topics();
        this.triggers = Objects.requireNonNull(triggers, "triggers");
    }

    /** The events of one incident: only the partition its key maps to is read. */
    public Result byIncident(String incidentId, TimeRange range) {
        Objects.requireNonNull(incidentId, "incidentId");
        try (RawTopicScanner scanner = scanner()) {
            int partition = KeyPartitions.partitionFor(incidentId, scanner.partitionCount());
            return read(scanner, Set.of(partition), range, (key, md) -> incidentId.equals(key)
                    || md != null && incidentId.equals(md.incidentId()));
        }
    }

    /** Every record of one event id: every partition is read, so bound it with {@code range}. */
    public Result byEvent(String eventId, TimeRange range) {
        Objects.requireNonNull(eventId, "eventId");
        try (RawTopicScanner scanner = scanner()) {
            return read(scanner, null, range, (key, md) -> md != null && eventId.equals(md.eventId()));
        }
    }

    private RawTopicScanner scanner() {
        return new RawTopicScanner(config.kafkaClientProperties(), topics.raw(), config.topicCreateTimeout());
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
        return new Result(topics.raw(), plan.partitions(), range, found);
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
                            + "): the processor dead-letters it", null, List.of());
        }
        EventMetadata md = event.metadata();
        if (!selector.test(key, md)) {
            return null;
        }
        Long duplicateOf = first.putIfAbsent(md.eventId(), record.offset());
        if (event.isPing()) {
            return new Explanation(record.partition(), record.offset(), record.timestamp(), webhookId, md.eventId(),
                    md.eventType(), md.incidentId(), "pagey.ping: counted, never routed", duplicateOf, List.of());
        }
        Set<String> fingerprints = PipelineHeaders.secretFingerprints(record.headers());
        if (fingerprints == null) {
            return new Explanation(record.partition(), record.offset(), record.timestamp(), webhookId, md.eventId(),
                    md.eventType(), md.incidentId(), "no " + PipelineHeaders.SECRET_FINGERPRINTS
                            + " header (it did not come through the ingress): the processor dead-letters it",
                    duplicateOf, List.of());
        }
        return new Explanation(record.partition(), record.offset(), record.timestamp(), webhookId, md.eventId(),
                md.eventType(), md.incidentId(), null, duplicateOf,
                TriggerVerdicts.evaluate(triggers, fingerprints, md));
    }

    /** Human-readable output. */
    public void printText(Result result, String subject, PrintWriter out) {
        out.printf("%s: %d record(s) in %s partition(s) %s, %s%n", subject, result.events().size(), result.topic(),
                result.partitions(), result.range().describe());
        if (triggers.isEmpty()) {
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
            if (e.problem() != null) {
                out.println("  " + e.problem());
                continue;
            }
            int width = e.verdicts().stream().mapToInt(v -> v.trigger().name().length()).max().orElse(0);
            for (Verdict v : e.verdicts()) {
                String outcome = v.kind().name().replace('_', ' ');
                String detail = v.routed() ? "-> " + topics.agentTopic(v.trigger().agent()) + " (request_id "
                        + AgentRequestEnvelope.requestId(e.eventId(), v.trigger().name()) + ")" : v.describe();
                out.printf("  %-" + Math.max(width, 1) + "s  %-10s  %s%n", v.trigger().name(), outcome, detail);
            }
        }
        out.flush();
    }

    /** The result as JSON: {@code {"topic","partitions","from","to","events":[...]}}. */
    public ObjectNode toJson(Result result) {
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("topic", result.topic());
        ArrayNode partitions = json.putArray("partitions");
        result.partitions().forEach(partitions::add);
        json.put("from", result.range().from() == null ? null : result.range().from().toString());
        json.put("to", result.range().to() == null ? null : result.range().to().toString());
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
            if (e.duplicateOf() == null) {
                ev.putNull("duplicate_of_offset");
            } else {
                ev.put("duplicate_of_offset", e.duplicateOf());
            }
            ArrayNode verdicts = ev.putArray("triggers");
            for (Verdict v : e.verdicts()) {
                ObjectNode t = verdicts.addObject();
                t.put("trigger", v.trigger().name());
                t.put("agent", v.trigger().agent());
                t.put("outcome", v.kind().name().toLowerCase(Locale.ROOT));
                t.put("field", v.field());
                t.put("reason", v.reason());
                if (v.routed()) {
                    t.put("topic", topics.agentTopic(v.trigger().agent()));
                    t.put("request_id", AgentRequestEnvelope.requestId(e.eventId(), v.trigger().name()));
                }
            }
        }
        return json;
    }
}
