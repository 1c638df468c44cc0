package dev.pdpipeline.console.web;

import dev.pdpipeline.console.index.Delivery;
import dev.pdpipeline.console.index.TriggerDecision;
import java.util.List;
import java.util.Locale;

/** Small pure helpers the templates call: labels, safe links, CSS classes. */
public final class Views {

    private Views() {
    }

    /** Only http(s) links are rendered as links; anything else (javascript:, data:) is text. */
    public static String safeUrl(String url) {
        if (url == null) {
            return null;
        }
        String u = url.trim().toLowerCase(Locale.ROOT);
        return u.startsWith("https://") || u.startsWith("http://") ? url.trim() : null;
    }

    /** The outcome column's text. */
    public static String outcomeText(Delivery d) {
        return switch (d.summary()) {
            case "routed" -> "routed to " + String.join(", ", d.agents());
            case "filtered" -> "filtered out (" + String.join("; ", d.rejections()) + ")";
            case "duplicate" -> "duplicate";
            case "dead_lettered" -> "dead-lettered: " + (d.deadLetter() == null ? "?" : d.deadLetter().reason());
            case "ping" -> "ping";
            case "disabled" -> "trigger disabled";
            case "not_signed" -> "not signed by any trigger's secret";
            default -> d.summary().replace('_', ' ');
        };
    }

    /** The text of one trigger's decision. */
    public static String decisionText(TriggerDecision t) {
        return switch (String.valueOf(t.decision())) {
            case "routed" -> "routed to " + t.targetName() + " on " + t.topic();
            case "rejected" -> "rejected by " + t.field() + (t.reason() == null ? "" : ": " + t.reason());
            case "duplicate" -> "duplicate: already routed" + (t.reason() == null ? "" : " (" + t.reason() + ")");
            case "disabled" -> "trigger disabled";
            case "not_signed" -> "not signed by this trigger's secret";
            default -> String.valueOf(t.decision()) + (t.reason() == null ? "" : ": " + t.reason());
        };
    }

    public static String orDash(Object o) {
        return o == null ? "–" : o.toString();
    }

    public static String joined(List<String> values) {
        return values == null || values.isEmpty() ? "–" : String.join(", ", values);
    }

    /** The outcome names a filter menu offers. */
    public static final List<String> OUTCOMES = List.of("routed", "filtered", "duplicate", "dead_lettered", "ping",
            "disabled", "not_signed", "not_routed");
}
