package dev.pdpipeline.console.index;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The console's own bounded, in-memory view of the pipeline's topics, so that a page view never
 * scans a topic. Fed record by record (by {@code TopicFeeder}, or directly in tests and the
 * benchmark); the oldest deliveries, incidents and dead letters are evicted beyond the limits.
 *
 * <p>Thread-safe: one feeding thread, many reading request threads; every query returns copies.
 * Records that cannot be read are counted and skipped: the index is a view, the topics stay the
 * truth.
 */
public final class ConsoleIndex {

    /** Longest text kept from a record (titles are capped at 1,024 by the writer already). */
    public static final int MAX_TEXT = 4096;
    /** Minutes of history the per-minute chart keeps. */
    public static final int CHART_MINUTES = 60;

    private final int maxDeliveries;
    private final int maxIncidents;
    private final int maxDeadLetters;

    private final ArrayDeque<Delivery> deliveries = new ArrayDeque<>();
    private final Map<String, Delivery> bySource = new java.util.HashMap<>();
    /** Insertion order = least recently touched first; re-inserted on every update. */
    private final LinkedHashMap<String, IncidentEntry> incidents = new LinkedHashMap<>();
    private final ArrayDeque<DeadLetter> deadLetters = new ArrayDeque<>();
    private final Map<String, long[]> triggerCounts = new TreeMap<>();
    private final TreeMap<Long, Map<String, Long>> perMinute = new TreeMap<>();
    private long skipped;
    private long indexed;

    /** Per-incident state. */
    private static final class IncidentEntry {
        final String id;
        Long number;
        String title;
        String htmlUrl;
        String serviceId;
        String serviceName;
        final List<Delivery> events = new ArrayList<>();
        final LinkedHashMap<String, RequestEntry> requests = new LinkedHashMap<>();
        final List<AgentResultEntry> results = new ArrayList<>();
        final Map<String, LedgerState> ledger = new java.util.HashMap<>();
        final List<DeadLetter> deadLetters = new ArrayList<>();

        IncidentEntry(String id) {
            this.id = id;
        }
    }

    /** What the ledger says about one result: the latest state, kept small. */
    private record LedgerState(String state, String detail, List<String> noteIds) {
    }

    /** Low-cardinality texts (event types, services, triggers, reasons) are kept once. */
    private final Map<String, String> strings = new java.util.HashMap<>();
    private static final int MAX_INTERNED = 50_000;

    private String intern(String s) {
        if (s == null) {
            return null;
        }
        String known = strings.get(s);
        if (known != null) {
            return known;
        }
        if (strings.size() < MAX_INTERNED) {
            strings.put(s, s);
        }
        return s;
    }

    public ConsoleIndex(int maxDeliveries, int maxIncidents, int maxDeadLetters) {
        if (maxDeliveries < 1 || maxIncidents < 1 || maxDeadLetters < 1) {
            throw new IllegalArgumentException("index limits must be at least 1");
        }
        this.maxDeliveries = maxDeliveries;
        this.maxIncidents = maxIncidents;
        this.maxDeadLetters = maxDeadLetters;
    }

    // ---------------------------------------------------------------- feeding

    /** A decisions record (schema_version 1, see docs/console.md); false when unreadable. */
    public synchronized boolean addDecision(byte[] value) {
        JsonNode json = parse(value);
        if (json == null || !json.isObject()) {
            skipped++;
            return false;
        }
        JsonNode inc = json.path("incident");
        List<TriggerDecision> triggers = new ArrayList<>();
        for (JsonNode t : json.path("triggers")) {
            JsonNode target = t.path("target");
            triggers.add(new TriggerDecision(intern(text(t, "trigger")), intern(text(t, "decision")),
                    intern(text(t, "field")), intern(text(t, "reason")), intern(text(target, "kind")),
                    intern(text(target, "name")), intern(text(t, "topic")), text(t, "request_id")));
        }
        String outcome = intern(text(json, "outcome"));
        JsonNode src = json.path("source");
        Delivery.Source source = new Delivery.Source(intern(text(src, "topic")), src.path("partition").asInt(-1),
                src.path("offset").asLong(-1));
        JsonNode dl = json.path("dead_letter");
        String incidentId = text(inc, "id");
        IncidentEntry seen = incidentId == null ? null : incidents.get(incidentId);
        String title = text(inc, "title");
        String htmlUrl = text(inc, "html_url");
        if (seen != null) {
            // the incident's texts are usually the same on every event: keep one copy
            title = title != null && title.equals(seen.title) ? seen.title : title;
            htmlUrl = htmlUrl != null && htmlUrl.equals(seen.htmlUrl) ? seen.htmlUrl : htmlUrl;
            incidentId = seen.id;
        }
        Delivery d = new Delivery(text(json, "event_id"), intern(text(json, "event_type")), text(json, "occurred_at"),
                text(json, "received_at"), text(json, "decided_at"), incidentId,
                inc.path("number").isNumber() ? inc.path("number").asLong() : null, title, htmlUrl,
                intern(text(inc, "service_id")), intern(text(inc, "service_name")), intern(text(inc, "urgency")),
                intern(text(inc, "priority")), text(json, "webhook_id"), source, outcome,
                intern(Delivery.summarize(outcome, triggers)), List.copyOf(Delivery.agentsOf(triggers)),
                dl.isObject() ? new Delivery.DeadLetterReason(intern(text(dl, "reason")), text(dl, "detail")) : null,
                triggers);
        indexed++;
        Delivery previous = bySource.put(keyOf(d), d);
        if (previous != null) {
            // the same raw record recorded again (a re-run): the latest record replaces the earlier one
            IncidentEntry e = previous.incidentId() == null ? null : incidents.get(previous.incidentId());
            if (e != null) {
                e.events.remove(previous);
            }
            // the earlier one stays in the queue until it ages out; queries skip it (not live)
        } else {
            count(d);
        }
        deliveries.addLast(d);
        if (d.incidentId() != null) {
            IncidentEntry e = touch(d.incidentId());
            e.events.add(d);
            if (d.title() != null) {
                e.title = d.title();
            }
            e.number = d.incidentNumber() != null ? d.incidentNumber() : e.number;
            e.htmlUrl = d.htmlUrl() != null ? d.htmlUrl() : e.htmlUrl;
            e.serviceId = d.serviceId() != null ? d.serviceId() : e.serviceId;
            e.serviceName = d.serviceName() != null ? d.serviceName() : e.serviceName;
            for (TriggerDecision t : triggers) {
                if (t.routed() && t.requestId() != null) {
                    RequestEntry known = e.requests.get(t.requestId());
                    e.requests.put(t.requestId(), new RequestEntry(t.requestId(), t.trigger(), t.targetName(),
                            t.topic(), d.eventId(), known != null && known.replay(),
                            known == null || known.writeBack(), known != null ? known.routedAt() : d.decidedAt()));
                }
            }
        }
        while (deliveries.size() > maxDeliveries) {
            evict(deliveries.pollFirst());
        }
        evictIncidents();
        return true;
    }

    /** A request-log record ({@code pdpipeline.requests}): live and replayed requests. */
    public synchronized boolean addRequest(byte[] value, java.util.function.Function<String, String> topicOfAgent) {
        JsonNode json = parse(value);
        String incident = json == null ? null : text(json, "incident_id");
        String requestId = json == null ? null : text(json, "request_id");
        if (incident == null || requestId == null) {
            skipped++;
            return false;
        }
        IncidentEntry e = touch(incident);
        RequestEntry known = e.requests.get(requestId);
        String agent = text(json, "agent");
        String topic = known != null && known.topic() != null ? known.topic() : topicOf(topicOfAgent, agent);
        e.requests.put(requestId, new RequestEntry(requestId, intern(text(json, "trigger")), intern(agent),
                intern(topic),
                text(json, "event_id"), json.path("replay").asBoolean(false), json.path("write_back").asBoolean(true),
                text(json, "routed_at")));
        evictIncidents();
        return true;
    }

    /** A result from the results topic. */
    public synchronized boolean addResult(String topic, int partition, long offset, long timestamp, byte[] value) {
        JsonNode json = parse(value);
        String incident = json == null ? null : text(json, "incident_id");
        if (incident == null) {
            skipped++;
            return false;
        }
        IncidentEntry e = touch(incident);
        String requestId = text(json, "request_id");
        String agent = text(json, "agent");
        String note = text(json, "note");
        String status = text(json, "status");
        String resultId = text(json, "result_id");
        if (resultId == null) {
            resultId = defaultResultId(requestId, agent, note, status);
        }
        e.results.add(new AgentResultEntry(requestId, resultId, e.id, intern(agent), note, intern(status),
                Instant.ofEpochMilli(timestamp).toString(), intern(topic), partition, offset, null));
        evictIncidents();
        return true;
    }

    /** A results-ledger record ({@code {"state": ..., "result_id": ...}}); the latest state wins. */
    public synchronized boolean addLedger(byte[] value) {
        JsonNode json = parse(value);
        String incident = json == null ? null : text(json, "incident_id");
        String resultId = json == null ? null : text(json, "result_id");
        if (incident == null || resultId == null) {
            skipped++;
            return false;
        }
        IncidentEntry e = touch(incident);
        LedgerState old = e.ledger.get(resultId);
        String state = intern(text(json, "state"));
        // a state read back later never moves a written result back (as the writer does)
        if (old == null || !"done".equals(old.state()) || "done".equals(state)) {
            List<String> ids = new ArrayList<>();
            json.path("note_ids").forEach(n -> ids.add(n.asText()));
            e.ledger.put(resultId, new LedgerState(state, text(json, "detail"), List.copyOf(ids)));
        }
        evictIncidents();
        return true;
    }

    /**
     * A dead-letter record of either dead-letter topic; {@code headers} holds the last value of
     * each header as text.
     */
    public synchronized void addDeadLetter(String topic, int partition, long offset, byte[] key, byte[] value,
            Map<String, String> headers) {
        String valueText = value == null ? null : cut(new String(value, StandardCharsets.UTF_8));
        String keyText = key == null ? null : cut(new String(key, StandardCharsets.UTF_8));
        String incident = keyText;
        String requestId = null;
        JsonNode json = parse(value);
        if (json != null && json.isObject() && json.hasNonNull("request_id")) {
            // a result: the key is the incident too, but the value says it for sure
            requestId = text(json, "request_id");
            incident = text(json, "incident_id") != null ? text(json, "incident_id") : incident;
        }
        DeadLetter d = new DeadLetter(topic, partition, offset, keyText, headers.get(PipelineHeaders.DLQ_REASON),
                cut(headers.get(PipelineHeaders.DLQ_DETAIL)), headers.get(PipelineHeaders.DLQ_SOURCE_TOPIC),
                dev.pdpipeline.common.deadletter.DeadLetter.sourcePartition(headers.get(PipelineHeaders.DLQ_SOURCE_PARTITION)),
                dev.pdpipeline.common.deadletter.DeadLetter.sourceOffset(headers.get(PipelineHeaders.DLQ_SOURCE_OFFSET)), headers.get(PipelineHeaders.DLQ_AT), incident,
                requestId, valueText);
        deadLetters.addLast(d);
        while (deadLetters.size() > maxDeadLetters) {
            deadLetters.pollFirst();
        }
        if (incident != null) {
            touch(incident).deadLetters.add(d);
            evictIncidents();
        }
    }

    // ---------------------------------------------------------------- queries

    /** The newest deliveries first, at most {@code limit}, matching {@code filter}. */
    public synchronized List<Delivery> recent(DeliveryFilter filter, int limit) {
        List<Delivery> out = new ArrayList<>(Math.min(limit, 256));
        Iterator<Delivery> it = deliveries.descendingIterator();
        while (it.hasNext() && out.size() < limit) {
            Delivery d = it.next();
            if (isLive(d) && filter.matches(d)) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * One incident, or empty when the index holds nothing of it.
     *
     * @param dryRun whether a result routed by this trigger would be a dry run (no API token)
     */
    public synchronized Optional<IncidentView> incident(String id, Predicate<String> dryRun) {
        IncidentEntry e = incidents.get(id);
        if (e == null) {
            return Optional.empty();
        }
        List<AgentResultEntry> results = new ArrayList<>(e.results.size());
        for (AgentResultEntry r : e.results) {
            results.add(r.withOutcome(outcome(e, r, dryRun)));
        }
        return Optional.of(new IncidentView(e.id, e.number, e.title, e.htmlUrl, e.serviceId, e.serviceName,
                List.copyOf(e.events), List.copyOf(e.requests.values()), results, List.copyOf(e.deadLetters)));
    }

    private static PagerDutyOutcome outcome(IncidentEntry e, AgentResultEntry r, Predicate<String> dryRun) {
        LedgerState ledger = r.resultId() == null ? null : e.ledger.get(r.resultId());
        if (ledger != null) {
            return new PagerDutyOutcome("done".equals(ledger.state()) ? "written" : ledger.state(), null,
                    ledger.detail(), ledger.noteIds());
        }
        for (DeadLetter d : e.deadLetters) {
            if (r.requestId() != null && r.requestId().equals(d.requestId())
                    && (d.sourceOffset() == null || d.sourceOffset() == r.offset())) {
                return new PagerDutyOutcome("dead_lettered", d.reason(), d.detail(), List.of());
            }
        }
        RequestEntry request = r.requestId() == null ? null : e.requests.get(r.requestId());
        if (request != null && !request.writeBack()) {
            return new PagerDutyOutcome("not_written_replay", null,
                    "the request was a replay without --write-back", List.of());
        }
        if (request != null && request.trigger() != null && dryRun.test(request.trigger())) {
            return new PagerDutyOutcome("dry_run", null,
                    "no PagerDuty API token for trigger " + request.trigger() + ": logged, not written", List.of());
        }
        return new PagerDutyOutcome("pending", null, "no write recorded yet", List.of());
    }

    /** Dead letters, newest first, at most {@code limit}; {@code topic} null for both topics. */
    public synchronized List<DeadLetter> deadLetters(String topic, int limit) {
        List<DeadLetter> out = new ArrayList<>();
        Iterator<DeadLetter> it = deadLetters.descendingIterator();
        while (it.hasNext() && out.size() < limit) {
            DeadLetter d = it.next();
            if (topic == null || topic.equals(d.topic())) {
                out.add(d);
            }
        }
        return out;
    }

    /** One dead letter by its coordinates. */
    public synchronized Optional<DeadLetter> deadLetter(String topic, int partition, long offset) {
        for (DeadLetter d : deadLetters) {
            if (d.topic().equals(topic) && d.partition() == partition && d.offset() == offset) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** Per-trigger decision counts over every decision read. */
    public synchronized List<TriggerCounts> triggerCounts() {
        List<TriggerCounts> out = new ArrayList<>();
        triggerCounts.forEach((name, c) -> out.add(new TriggerCounts(name, c[0], c[1], c[2], c[3], c[4])));
        return out;
    }

    /** The last {@value #CHART_MINUTES} minutes up to {@code now}, one bucket per minute (empty ones too). */
    public synchronized List<MinuteBucket> perMinute(Instant now) {
        long last = now.truncatedTo(ChronoUnit.MINUTES).getEpochSecond() / 60;
        List<MinuteBucket> out = new ArrayList<>(CHART_MINUTES);
        for (long m = last - CHART_MINUTES + 1; m <= last; m++) {
            Map<String, Long> c = perMinute.get(m);
            out.add(new MinuteBucket(Instant.ofEpochSecond(m * 60).toString(),
                    c == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(c))));
        }
        return out;
    }

    /** Distinct services, triggers and agents seen, for the filter menus. */
    public synchronized Map<String, List<String>> facets() {
        java.util.TreeSet<String> services = new java.util.TreeSet<>();
        java.util.TreeSet<String> agents = new java.util.TreeSet<>();
        for (IncidentEntry e : incidents.values()) {
            if (e.serviceName != null) {
                services.add(e.serviceName);
            }
            e.requests.values().forEach(r -> {
                if (r.agent() != null) {
                    agents.add(r.agent());
                }
            });
        }
        return Map.of("services", List.copyOf(services), "triggers", List.copyOf(triggerCounts.keySet()),
                "agents", List.copyOf(agents));
    }

    /** Sizes and counters, for the API and the benchmark. */
    public synchronized Map<String, Long> stats() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("deliveries", (long) bySource.size());
        m.put("incidents", (long) incidents.size());
        m.put("dead_letters", (long) deadLetters.size());
        m.put("records_indexed", indexed);
        m.put("records_skipped", skipped);
        m.put("max_deliveries", (long) maxDeliveries);
        m.put("max_incidents", (long) maxIncidents);
        return m;
    }

    // ---------------------------------------------------------------- internals

    private void count(Delivery d) {
        for (TriggerDecision t : d.triggers()) {
            if (t.trigger() == null) {
                continue;
            }
            long[] c = triggerCounts.computeIfAbsent(t.trigger(), k -> new long[5]);
            switch (String.valueOf(t.decision())) {
                case "routed" -> c[0]++;
                case "rejected" -> c[1]++;
                case "duplicate" -> c[2]++;
                case "disabled" -> c[3]++;
                case "not_signed" -> c[4]++;
                default -> { }
            }
        }
        Instant at = instant(d.decidedAt() != null ? d.decidedAt() : d.receivedAt());
        if (at != null) {
            long minute = at.getEpochSecond() / 60;
            perMinute.computeIfAbsent(minute, k -> new TreeMap<>()).merge(d.summary(), 1L, Long::sum);
            while (perMinute.size() > CHART_MINUTES * 24) {
                perMinute.pollFirstEntry();
            }
        }
    }

    private boolean isLive(Delivery d) {
        return bySource.get(keyOf(d)) == d;
    }

    /** Source coordinates identify a delivery; without them, the event id and record identity. */
    private static String keyOf(Delivery d) {
        return d.source().topic() != null ? d.source().key()
                : "unknown/" + d.eventId() + "/" + System.identityHashCode(d);
    }

    private IncidentEntry touch(String id) {
        IncidentEntry e = incidents.remove(id);
        if (e == null) {
            e = new IncidentEntry(id);
        }
        incidents.put(id, e);
        return e;
    }

    private void evict(Delivery d) {
        if (d == null) {
            return;
        }
        if (!bySource.remove(keyOf(d), d)) {
            return; // already replaced or evicted with its incident
        }
        IncidentEntry e = d.incidentId() == null ? null : incidents.get(d.incidentId());
        if (e != null) {
            e.events.remove(d);
            if (e.events.isEmpty()) {
                incidents.remove(e.id);
            }
        }
    }

    private void evictIncidents() {
        while (incidents.size() > maxIncidents) {
            Iterator<IncidentEntry> it = incidents.values().iterator();
            IncidentEntry oldest = it.next();
            it.remove();
            for (Delivery d : oldest.events) {
                bySource.remove(keyOf(d), d); // the queue entry is skipped from now on, and ages out
            }
        }
    }

    private static String topicOf(java.util.function.Function<String, String> topicOfAgent, String agent) {
        if (agent == null) {
            return null;
        }
        try {
            return topicOfAgent.apply(agent);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The notes writer's default result id (docs/agent-contract.md), so ledger entries can be matched. */
    static String defaultResultId(String requestId, String agent, String note, String status) {
        String s = nz(requestId) + "\n" + nz(agent) + "\n" + nz(note) + "\n" + nz(status);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static JsonNode parse(byte[] value) {
        if (value == null) {
            return null;
        }
        try {
            return Json.mapper().readTree(value);
        } catch (IOException e) {
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.isContainerNode() ? null : cut(v.asText());
    }

    private static String cut(String s) {
        return s == null || s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT) + "…";
    }

    private static Instant instant(String s) {
        try {
            return s == null ? null : Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }


}
