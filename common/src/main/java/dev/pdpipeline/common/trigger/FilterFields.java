package dev.pdpipeline.common.trigger;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The incident metadata fields a Trigger's {@code spec.filter} may name (as {@code metadata.<field>}).
 * Listed in one place so the loader rejects typos at start instead of the processor silently never
 * matching. How each field matches is the processor's business (docs/trigger-semantics.md).
 */
public final class FilterFields {

    /** Prefix every {@code spec.filter} key carries in Trigger files. */
    public static final String PREFIX = "metadata.";

    /**
     * The AOF metadata table plus our additions: {@code title}, {@code team_names}, {@code data_type},
     * {@code agent_id}; {@code service} (service id or name) and {@code team} (any team id or name).
     * Iteration order is the documentation order.
     */
    public static final Set<String> FILTER_FIELDS = Collections.unmodifiableSet(new LinkedHashSet<>(List.of(
            "event_id", "event_type", "occurred_at", "incident_id", "incident_number", "incident_key",
            "status", "urgency", "priority", "html_url", "service_id", "service_name", "team_ids",
            "assignee_ids", "title", "team_names", "data_type", "service", "team", "agent_id")));

    private FilterFields() {
    }
}
