package dev.pdpipeline.launcher.agents;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.processor.replay.RawTopicScanner;
import dev.pdpipeline.processor.replay.TimeRange;
import dev.pdpipeline.processor.notes.AgentResult;
import dev.pdpipeline.processor.notes.InvalidResultException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Reads the results topic, the results dead-letter topic and the results ledger, and tells per
 * agent what became of its results: seen, written, skipped as duplicates, dead-lettered by reason
 * (with the first offending result of each reason and what the result schema says about it).
 * Reads only: no consumer group, nothing committed, nothing written.
 */
public final class AgentsCheck {

    /** The bucket of dead letters whose value names no agent (not JSON, no {@code agent} string). */
    public static final String UNATTRIBUTED = "(no agent)";

    private final Properties clientProperties;
    private final TopicCatalogue topics;
    private final Duration timeout;

    public AgentsCheck(Properties clientProperties, TopicCatalogue topics, Duration timeout) {
        this.clientProperties = Objects.requireNonNull(clientProperties, "clientProperties");
        this.topics = Objects.requireNonNull(topics, "topics");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Checks the results published within {@code range} ({@code agent} null: every agent).
     *
     * @throws dev.pdpipeline.processor.replay.ReplaySettingException when a topic does not exist (names its variable)
     */
    public AgentsReport check(String agent, TimeRange range) {
        Map<String, LedgerEntry> ledger = new HashMap<>();
        scan(topics.resultsLedger(), TopicCatalogue.RESULTS_LEDGER_TOPIC_ENV, TimeRange.ALL, r -> {
            if (r.key() != null) {
                String id = new String(r.key(), StandardCharsets.UTF_8);
                if (r.value() == null) {
                    ledger.remove(id);
                } else {
                    ledger.put(id, new LedgerEntry(text(parse(r.value()), "state"), r.timestamp()));
                }
            }
        });

        Map<String, AgentsReport.AgentReport> byAgent = new HashMap<>();
        AgentsReport.AgentReport unattributed = new AgentsReport.AgentReport(UNATTRIBUTED);
        ResultSchema schema = ResultSchema.load();
        Set<String> deadLetteredSources = new HashSet<>();
        scan(topics.resultsDeadLetter(), TopicCatalogue.RESULTS_DLQ_TOPIC_ENV, range, r -> {
            String name = agentOf(r.value());
            AgentsReport.AgentReport report = name == null ? unattributed : byAgent.computeIfAbsent(name,
                    AgentsReport.AgentReport::new);
            String reason = header(r, PipelineHeaders.DLQ_REASON);
            String source = header(r, PipelineHeaders.DLQ_SOURCE_TOPIC) + "-" + header(r, PipelineHeaders.DLQ_SOURCE_PARTITION)
                    + "@" + header(r, PipelineHeaders.DLQ_SOURCE_OFFSET);
            deadLetteredSources.add(source);
            report.deadLetter(reason == null ? "unknown" : reason, r, header(r, PipelineHeaders.DLQ_DETAIL), source,
                    schema);
        });

        // streamed, not held: in offset order per partition, and one incident's results share a partition
        Set<String> seenIds = new HashSet<>();
        scan(topics.results(), TopicCatalogue.RESULTS_TOPIC_ENV, range, r -> {
            String name = agentOf(r.value());
            AgentsReport.AgentReport report = name == null ? unattributed : byAgent.computeIfAbsent(name,
                    AgentsReport.AgentReport::new);
            report.seen++;
            if (deadLetteredSources.contains(r.topic() + "-" + r.partition() + "@" + r.offset())) {
                return;
            }
            AgentResult result;
            try {
                result = AgentResult.parse(r.value());
            } catch (InvalidResultException e) {
                report.pending++; // invalid but not dead-lettered yet: the writer has not read it
                return;
            }
            LedgerEntry entry = ledger.get(result.resultId());
            boolean first = seenIds.add(result.resultId());
            if (entry != null && "done".equals(entry.state())) {
                // the first copy written after it was published is the write; later copies were skipped
                if (first && entry.timestamp() >= r.timestamp()) {
                    report.written++;
                } else {
                    report.duplicates++;
                }
            } else if (entry != null && "attempting".equals(entry.state())) {
                report.inProgress++;
            } else if (entry != null && "dead_lettered".equals(entry.state())) {
                report.pending++; // its dead letter is outside the range or not yet visible
            } else {
                report.notWritten++;
            }
        });
        List<AgentsReport.AgentReport> agents = new ArrayList<>(byAgent.values());
        agents.sort(Comparator.comparing(AgentsReport.AgentReport::agent));
        if (agent != null) {
            agents.removeIf(a -> !a.agent().equals(agent));
            if (agents.isEmpty()) {
                agents.add(new AgentsReport.AgentReport(agent));
            }
        }
        return new AgentsReport(range, topics.results(), topics.resultsDeadLetter(), topics.resultsLedger(), agent,
                agents, unattributed);
    }

    private interface Sink {
        void accept(ConsumerRecord<byte[], byte[]> record);
    }

    private void scan(String topic, String variable, TimeRange range, Sink sink) {
        try (RawTopicScanner scanner = new RawTopicScanner(clientProperties, topic, variable, timeout)) {
            // a missing topic is a ReplaySettingException naming `variable`: exit 3 (ConfigErrorHandler)
            RawTopicScanner.Plan plan = scanner.plan(null, range);
            scanner.scan(plan, r -> {
                if (range.contains(r.timestamp())) {
                    sink.accept(r);
                }
            });
        }
    }

    private record LedgerEntry(String state, long timestamp) {
    }

    static String agentOf(byte[] value) {
        return text(parse(value), "agent");
    }

    private static JsonNode parse(byte[] value) {
        if (value == null || value.length == 0) {
            return null;
        }
        try {
            return Json.mapper().readTree(value);
        } catch (IOException e) {
            return null;
        }
    }

    private static String text(JsonNode json, String field) {
        if (json == null || !json.isObject()) {
            return null;
        }
        JsonNode v = json.get(field);
        return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText() : null;
    }

    static String header(ConsumerRecord<?, ?> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
