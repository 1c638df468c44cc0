package dev.pdpipeline.launcher.agents;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.processor.replay.TimeRange;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What {@link AgentsCheck} found, per agent, as text for people or JSON for machines.
 *
 * @param agentFilter  the agent asked about, or null for all
 * @param unattributed dead letters (and results) whose value names no agent
 */
public record AgentsReport(TimeRange range, String resultsTopic, String deadLetterTopic, String ledgerTopic,
        String agentFilter, List<AgentReport> agents, AgentReport unattributed) {

    /** Longest part of an offending value shown. */
    static final int MAX_VALUE_CHARS = 500;

    /** Whether anything in scope was dead-lettered (the exit code of {@code agents check}). */
    public boolean anyDeadLettered() {
        long n = agents.stream().mapToLong(AgentReport::deadLettered).sum();
        return n > 0 || (agentFilter == null && unattributed.deadLettered() > 0);
    }

    /** One agent's results. */
    public static final class AgentReport {
        private final String agent;
        long seen;
        long written;
        long duplicates;
        long notWritten;
        long inProgress;
        long pending;
        final Map<String, ReasonReport> deadLetters = new TreeMap<>();

        AgentReport(String agent) {
            this.agent = agent;
        }

        public String agent() {
            return agent;
        }

        public long seen() {
            return seen;
        }

        public long written() {
            return written;
        }

        public long duplicates() {
            return duplicates;
        }

        public long deadLettered() {
            return deadLetters.values().stream().mapToLong(ReasonReport::count).sum();
        }

        public Map<String, ReasonReport> deadLetters() {
            return deadLetters;
        }

        void deadLetter(String reason, ConsumerRecord<byte[], byte[]> record, String detail, String source,
                ResultSchema schema) {
            ReasonReport r = deadLetters.get(reason);
            if (r == null) {
                String value = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
                deadLetters.put(reason, new ReasonReport(1, new Offender(source, record.key() == null ? null
                        : new String(record.key(), StandardCharsets.UTF_8), Instant.ofEpochMilli(record.timestamp()),
                        detail, clip(value), schema.errors(record.value()))));
            } else {
                deadLetters.put(reason, new ReasonReport(r.count() + 1, r.first()));
            }
        }
    }

    /** Dead letters of one reason: how many, and the first. */
    public record ReasonReport(long count, Offender first) {
    }

    /**
     * The first dead-lettered result of a reason.
     *
     * @param source       where the result was read: {@code topic-partition@offset}
     * @param schemaErrors what {@code schemas/result.schema.json} says; empty when the result is
     *                     valid by the schema (the reason is about the pipeline's state)
     */
    public record Offender(String source, String key, Instant deadLetteredAt, String detail, String value,
            List<String> schemaErrors) {
    }

    /** What to do about a reason that the schema cannot see. */
    static String hint(String reason) {
        return switch (reason) {
            case "unknown_request" -> "no routed request has this request_id: answer with the request_id of the"
                    + " envelope you received (and publish after the request was routed)";
            case "request_mismatch" -> "answer as the request's agent, about the request's metadata.incident_id";
            case "no_from_email" -> "set from_email on the result or the Trigger, or PAGERDUTY_FROM_EMAIL";
            case "pagerduty_rejected" -> "PagerDuty refused the write: see the detail (token, incident, From user)";
            case "pagerduty_unavailable" -> "PagerDuty kept failing; re-drive the dead letter when it is back";
            default -> "see docs/notes.md#dead-letters";
        };
    }

    public void printText(PrintWriter out) {
        out.printf("Agent results on %s (dead letters on %s, ledger %s), %s%n", resultsTopic, deadLetterTopic,
                ledgerTopic, range.describe());
        if (agents.isEmpty() && unattributed.seen == 0 && unattributed.deadLettered() == 0) {
            out.println("No results in this range.");
        }
        for (AgentReport a : agents) {
            print(out, a);
        }
        if (unattributed.seen > 0 || unattributed.deadLettered() > 0) {
            print(out, unattributed);
            if (agentFilter != null) {
                out.println("  (not counted for --agent " + agentFilter + ": these values name no agent)");
            }
        }
        out.println(anyDeadLettered() ? "Dead-lettered results found." : "Nothing dead-lettered.");
        out.flush();
    }

    private static void print(PrintWriter out, AgentReport a) {
        out.printf("%nagent %s: %d seen, %d written, %d skipped as duplicates, %d not written (dry run, replay or not processed yet),"
                        + " %d in progress, %d awaiting a dead letter, %d dead-lettered%n", a.agent, a.seen, a.written,
                a.duplicates, a.notWritten, a.inProgress, a.pending, a.deadLettered());
        a.deadLetters.forEach((reason, r) -> {
            Offender o = r.first();
            out.printf("  %s: %d; first: %s, key %s, dead-lettered at %s%n", reason, r.count(), o.source(), o.key(),
                    o.deadLetteredAt());
            if (o.detail() != null && !o.detail().isBlank()) {
                out.printf("    detail: %s%n", o.detail());
            }
            if (o.schemaErrors().isEmpty()) {
                out.printf("    schema: valid by schemas/result.schema.json; %s%n", hint(reason));
            } else {
                for (String e : o.schemaErrors()) {
                    out.printf("    schema: %s%n", e);
                }
            }
            out.printf("    value: %s%n", o.value());
        });
    }

    public ObjectNode toJson() {
        ObjectNode json = Json.mapper().createObjectNode();
        ObjectNode r = json.putObject("range");
        r.put("from", range.from() == null ? null : range.from().toString());
        r.put("to", range.to() == null ? null : range.to().toString());
        ObjectNode t = json.putObject("topics");
        t.put("results", resultsTopic);
        t.put("dead_letters", deadLetterTopic);
        t.put("ledger", ledgerTopic);
        json.put("agent", agentFilter);
        ArrayNode list = json.putArray("agents");
        agents.forEach(a -> list.add(toJson(a)));
        json.set("unattributed", toJson(unattributed));
        json.put("dead_lettered", anyDeadLettered());
        return json;
    }

    private static ObjectNode toJson(AgentReport a) {
        ObjectNode j = Json.mapper().createObjectNode();
        j.put("agent", a.agent == null || a.agent.equals(AgentsCheck.UNATTRIBUTED) ? null : a.agent);
        j.put("seen", a.seen);
        j.put("written", a.written);
        j.put("duplicates_skipped", a.duplicates);
        j.put("not_written", a.notWritten);
        j.put("in_progress", a.inProgress);
        j.put("awaiting_dead_letter", a.pending);
        j.put("dead_lettered", a.deadLettered());
        ObjectNode reasons = j.putObject("dead_letters");
        a.deadLetters.forEach((reason, rr) -> {
            ObjectNode one = reasons.putObject(reason);
            one.put("count", rr.count());
            Offender o = rr.first();
            ObjectNode first = one.putObject("first");
            first.put("source", o.source());
            first.put("key", o.key());
            first.put("dead_lettered_at", o.deadLetteredAt().toString());
            first.put("detail", o.detail());
            first.put("value", o.value());
            first.put("schema_valid", o.schemaErrors().isEmpty());
            ArrayNode errors = first.putArray("schema_errors");
            o.schemaErrors().forEach(errors::add);
            if (o.schemaErrors().isEmpty()) {
                first.put("hint", hint(reason));
            }
        });
        return j;
    }

    private static String clip(String s) {
        return s.length() > MAX_VALUE_CHARS ? s.substring(0, MAX_VALUE_CHARS) + "… (" + s.length() + " characters)" : s;
    }
}
