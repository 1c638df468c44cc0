package dev.pdpipeline.processor.routing;

import java.util.Objects;

/**
 * Whether one Trigger takes one event, and if not, which of its fields said no and why: the
 * answer to "why didn't my event reach my agent".
 */
public sealed interface Decision permits Decision.Routed, Decision.Rejected {

    String triggerName();

    /** True for {@link Routed}. */
    default boolean isRouted() {
        return this instanceof Routed;
    }

    /** The event passes every filter of the trigger. */
    record Routed(String triggerName) implements Decision {
        public Routed {
            Objects.requireNonNull(triggerName, "triggerName");
        }
    }

    /**
     * The first filter that rejected the event.
     *
     * @param field  the Trigger field: {@code event_types}, {@code allowed_services},
     *               {@code allowed_teams}, {@code min_priority}, {@code min_urgency} or
     *               {@code filter.metadata.<field>}
     * @param reason human text, e.g. "priority P3 is below min_priority P2"
     */
    record Rejected(String triggerName, String field, String reason) implements Decision {
        public Rejected {
            Objects.requireNonNull(triggerName, "triggerName");
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
