package dev.pdpipeline.processor.routing;

import dev.pdpipeline.common.trigger.Target;
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

    /**
     * The event passes every filter of the trigger and goes to {@code target}.
     *
     * @param target    the agent, flow or fleet; its topic is the agent topic of {@code target.name()}
     * @param decidedBy the Trigger field that chose the target: {@code spec.agent},
     *                  {@code spec.commands.<event type>} or {@code spec.default_agent}
     */
    record Routed(String triggerName, Target target, String decidedBy) implements Decision {
        public Routed {
            Objects.requireNonNull(triggerName, "triggerName");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(decidedBy, "decidedBy");
        }

        /**
         * What the dedup store remembers this routing under, with the event id: per trigger and
         * target. The trigger name alone for an {@code spec.agent} route (an aof.sh/v1 trigger has
         * one target, and keys written before targets existed stay valid); the trigger name, NUL
         * and the target otherwise, so the same event re-routed to another target after a reload
         * is not taken for a duplicate.
         */
        public String dedupScope() {
            return decidedBy.equals(dev.pdpipeline.common.trigger.Route.AGENT) ? triggerName
                    : triggerName + '\u0000' + target.kind().wireName() + ":" + target.name();
        }
    }

    /**
     * The first filter that rejected the event.
     *
     * @param field  the Trigger field: {@code event_types}, {@code commands} (aof.dev/v1: no command
     *               for the event type and no default_agent), {@code allowed_services},
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
