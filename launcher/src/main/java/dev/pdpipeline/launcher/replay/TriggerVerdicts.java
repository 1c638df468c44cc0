package dev.pdpipeline.launcher.replay;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.routing.Decision;
import dev.pdpipeline.processor.routing.TriggerMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What every Trigger makes of one raw record, checked in the processor's order: the trigger's
 * secret must have signed the delivery, the trigger must be enabled, then {@link TriggerMatcher}
 * decides. Replay routes the {@link Kind#ROUTED} ones; explain prints all of them.
 */
public final class TriggerVerdicts {

    /** How one trigger treats one event. */
    public enum Kind {
        /** Every check passes: the processor routes (or would route) the event to the agent. */
        ROUTED,
        /** A filter of the trigger rejects the event; {@link Verdict#field()} names it. */
        REJECTED,
        /** {@code spec.enabled: false}. */
        DISABLED,
        /** The delivery was not signed with this trigger's webhook secret. */
        NOT_SIGNED
    }

    /**
     * @param field  the rejecting Trigger field ({@code min_priority}, {@code filter.metadata.x}),
     *               or null unless {@link Kind#REJECTED}
     * @param reason human text
     * @param target    where a {@link Kind#ROUTED} event goes (agent, flow or fleet), else null
     * @param decidedBy the Trigger field that chose the target ({@code spec.agent},
     *                  {@code spec.commands.<event type>}, {@code spec.default_agent}), else null
     */
    public record Verdict(Trigger trigger, Kind kind, String field, String reason, Target target, String decidedBy) {
        public Verdict {
            Objects.requireNonNull(trigger, "trigger");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(reason, "reason");
        }

        /** A verdict without a target (not routed). */
        public Verdict(Trigger trigger, Kind kind, String field, String reason) {
            this(trigger, kind, field, reason, null, null);
        }

        public boolean routed() {
            return kind == Kind.ROUTED;
        }

        /** One line, e.g. {@code min_priority: priority P3 is below min_priority P2}. */
        public String describe() {
            return kind == Kind.REJECTED ? field + ": " + reason : reason;
        }
    }

    private TriggerVerdicts() {
    }

    /** The verdict of every trigger of the set (in load order) on an event signed by {@code fingerprints}. */
    public static List<Verdict> evaluate(TriggerSet triggers, Set<String> fingerprints, EventMetadata metadata) {
        Objects.requireNonNull(triggers, "triggers");
        Objects.requireNonNull(fingerprints, "fingerprints");
        Objects.requireNonNull(metadata, "metadata");
        List<Verdict> out = new ArrayList<>(triggers.triggers().size());
        for (Trigger trigger : triggers.triggers()) {
            out.add(evaluate(trigger, fingerprints, metadata));
        }
        return out;
    }

    /** The verdict of one trigger. */
    public static Verdict evaluate(Trigger trigger, Set<String> fingerprints, EventMetadata metadata) {
        return evaluate(trigger, trigger.secretFingerprint(), fingerprints, metadata);
    }

    /**
     * The verdict of one trigger whose fingerprint the caller computed once (an HMAC: worth keeping
     * out of a loop over many records).
     */
    public static Verdict evaluate(Trigger trigger, String triggerFingerprint, Set<String> fingerprints,
            EventMetadata metadata) {
        if (!fingerprints.contains(triggerFingerprint)) {
            return new Verdict(trigger, Kind.NOT_SIGNED, null, "not signed by this trigger's secret (fingerprint "
                    + triggerFingerprint + " not among " + fingerprints + ")");
        }
        if (!trigger.enabled()) {
            return new Verdict(trigger, Kind.DISABLED, null, "trigger disabled (spec.enabled: false)");
        }
        Decision decision = TriggerMatcher.evaluate(trigger, metadata);
        if (decision instanceof Decision.Rejected rejected) {
            return new Verdict(trigger, Kind.REJECTED, rejected.field(), rejected.reason());
        }
        Decision.Routed routed = (Decision.Routed) decision;
        return new Verdict(trigger, Kind.ROUTED, null, "routed to " + routed.target() + " by " + routed.decidedBy(),
                routed.target(), routed.decidedBy());
    }
}
