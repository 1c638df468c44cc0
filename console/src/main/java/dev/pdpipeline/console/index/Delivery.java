package dev.pdpipeline.console.index;

import java.util.ArrayList;
import java.util.List;

/**
 * One raw delivery the processor handled, from its decisions record.
 *
 * @param outcome  the recorded outcome: {@code routed}, {@code not_routed}, {@code ping}, {@code dead_lettered}
 * @param summary  what a person wants to see first: {@code routed}, {@code duplicate}, {@code filtered},
 *                 {@code disabled}, {@code not_signed}, {@code not_routed}, {@code ping}, {@code dead_lettered}
 * @param agents   the targets routed to (empty unless routed)
 */
public record Delivery(String eventId, String eventType, String occurredAt, String receivedAt, String decidedAt,
        String incidentId, Long incidentNumber, String title, String htmlUrl, String serviceId, String serviceName,
        String urgency, String priority, String webhookId, Source source, String outcome, String summary,
        List<String> agents, DeadLetterReason deadLetter, List<TriggerDecision> triggers) {

    /** Where the raw record was read. */
    public record Source(String topic, int partition, long offset) {
        String key() {
            return topic + "/" + partition + "/" + offset;
        }
    }

    /** Why a raw record was dead-lettered. */
    public record DeadLetterReason(String reason, String detail) {
    }

    public Delivery {
        triggers = List.copyOf(triggers);
        agents = List.copyOf(agents);
    }

    /** The summary of an outcome and its trigger decisions. */
    static String summarize(String outcome, List<TriggerDecision> triggers) {
        if (!"not_routed".equals(outcome)) {
            return outcome == null ? "unknown" : outcome;
        }
        for (String d : List.of("duplicate", "rejected", "disabled", "not_signed")) {
            for (TriggerDecision t : triggers) {
                if (d.equals(t.decision())) {
                    return d.equals("rejected") ? "filtered" : d;
                }
            }
        }
        return "not_routed";
    }

    static List<String> agentsOf(List<TriggerDecision> triggers) {
        List<String> out = new ArrayList<>();
        for (TriggerDecision t : triggers) {
            if (t.routed() && t.targetName() != null && !out.contains(t.targetName())) {
                out.add(t.targetName());
            }
        }
        return out;
    }

    /** The filters that rejected this delivery, as {@code trigger: field} lines. */
    public List<String> rejections() {
        List<String> out = new ArrayList<>();
        for (TriggerDecision t : triggers) {
            if ("rejected".equals(t.decision())) {
                out.add(t.trigger() + ": " + (t.field() == null ? "filter" : t.field()));
            }
        }
        return out;
    }

    /** Whether a trigger of this delivery has this name. */
    public boolean mentionsTrigger(String name) {
        return triggers.stream().anyMatch(t -> name.equals(t.trigger()));
    }
}
