package dev.pdpipeline.common.trigger;

import java.util.Objects;

/**
 * The target a Trigger picks for an event type, and which field of the Trigger picked it, so that
 * {@code explain} and the decisions record can say "spec.commands.incident.triggered" or
 * "spec.default_agent" rather than just a name.
 *
 * @param target    where the event goes
 * @param decidedBy the Trigger field that chose it: {@value #AGENT} (aof.sh/v1),
 *                  {@code spec.commands.<event type>} or {@value #DEFAULT_AGENT} (aof.dev/v1)
 */
public record Route(Target target, String decidedBy) {

    /** {@link #decidedBy()} of an {@code aof.sh/v1} Trigger. */
    public static final String AGENT = "spec.agent";
    /** {@link #decidedBy()} when an {@code aof.dev/v1} Trigger has no command for the event type. */
    public static final String DEFAULT_AGENT = "spec.default_agent";
    /** Prefix of {@link #decidedBy()} when a command of an {@code aof.dev/v1} Trigger matched. */
    public static final String COMMANDS_PREFIX = "spec.commands.";

    public Route {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(decidedBy, "decidedBy");
    }
}
