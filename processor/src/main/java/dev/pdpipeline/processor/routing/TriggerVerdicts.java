package dev.pdpipeline.processor.routing;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The one decision function: what every Trigger makes of one parsed event, in the processor's
 * order of checks. The trigger's secret must have signed the delivery, the trigger must be
 * enabled, then {@link TriggerMatcher} applies the filters and picks the target
 * ({@link Trigger#routeFor}: {@code spec.agent}, or for aof.dev/v1 the command of the event type,
 * else the {@code default_agent}; neither is a rejection on {@code commands}). Pure (no Kafka, no state): the
 * processor, {@code explain}, {@code replay} and the console all call it, so they cannot disagree.
 *
 * <p>{@link Kind#ROUTED} means "a candidate": the processor still drops an (event, trigger) it
 * already routed within the dedup window, which is state, not a property of the event.
 */
public final class TriggerVerdicts {

    /** How one trigger treats one event. */
    public enum Kind {
        /** Every check passes: the processor routes (or would route) the event to the target. */
        ROUTED,
        /** A filter of the trigger rejects the event; {@link Verdict#field()} names it. */
        REJECTED,
        /** {@code spec.enabled: false}. */
        DISABLED,
        /** The delivery was not signed with this trigger's webhook secret. */
        NOT_SIGNED;

        /** The lowercase code used in JSON ({@code routed}, {@code not_signed}, ...). */
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param field     the rejecting Trigger field ({@code min_priority}, {@code commands},
     *                  {@code filter.metadata.x}), or null unless {@link Kind#REJECTED}
     * @param reason    human text
     * @param target    where a routed event goes (agent, flow or fleet): the {@link Decision.Routed#target()}
     *                  of {@link TriggerMatcher}, which resolves it with {@link Trigger#routeFor}; null
     *                  unless {@link Kind#ROUTED}
     * @param decidedBy the Trigger field that chose the target ({@code spec.agent},
     *                  {@code spec.commands.<event type>}, {@code spec.default_agent}), null unless routed
     */
    public record Verdict(Trigger trigger, Kind kind, String field, String reason, Target target,
            String decidedBy) {
        public Verdict {
            Objects.requireNonNull(trigger, "trigger");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(reason, "reason");
            if (kind == Kind.ROUTED) {
                Objects.requireNonNull(target, "target");
                Objects.requireNonNull(decidedBy, "decidedBy");
            }
        }

        /** A verdict without a target (not routed). */
        public Verdict(Trigger trigger, Kind kind, String field, String reason) {
            this(trigger, kind, field, reason, null, null);
        }

        public boolean routed() {
            return kind == Kind.ROUTED;
        }

        /** The target's name (the {@code {agent}} of its topic), null unless routed. */
        public String agent() {
            return target == null ? null : target.name();
        }

        /**
         * What the dedup store remembers a routed verdict under, with the event id
         * ({@link Decision.Routed#dedupScope()}); null unless routed.
         */
        public String dedupScope() {
            return target == null ? null : new Decision.Routed(trigger.name(), target, decidedBy).dedupScope();
        }

        /** One line, e.g. {@code min_priority: priority P3 is below min_priority P2}. */
        public String describe() {
            return kind == Kind.REJECTED ? field + ": " + reason : reason;
        }
    }

    /** A trigger with its secret fingerprint computed once (an HMAC: kept out of per-record loops). */
    public record Signed(Trigger trigger, String fingerprint) {
        public Signed {
            Objects.requireNonNull(trigger, "trigger");
            Objects.requireNonNull(fingerprint, "fingerprint");
        }

        public static Signed of(Trigger trigger) {
            return new Signed(trigger, trigger.secretFingerprint());
        }
    }

    private TriggerVerdicts() {
    }

    /** Every trigger of {@code set} with its fingerprint, in load order. */
    public static List<Signed> signed(TriggerSet set) {
        return signed(set.triggers());
    }

    /** Each trigger with its fingerprint, in the given order. */
    public static List<Signed> signed(List<Trigger> triggers) {
        List<Signed> out = new ArrayList<>(triggers.size());
        for (Trigger t : triggers) {
            out.add(Signed.of(t));
        }
        return List.copyOf(out);
    }

    /** The verdict of every trigger of the set (in load order) on an event signed by {@code fingerprints}. */
    public static List<Verdict> evaluate(TriggerSet triggers, Set<String> fingerprints, EventMetadata metadata) {
        Objects.requireNonNull(triggers, "triggers");
        return evaluate(signed(triggers), fingerprints, metadata);
    }

    /** The verdict of every trigger (in the given order). */
    public static List<Verdict> evaluate(List<Signed> triggers, Set<String> fingerprints, EventMetadata metadata) {
        Objects.requireNonNull(triggers, "triggers");
        Objects.requireNonNull(fingerprints, "fingerprints");
        Objects.requireNonNull(metadata, "metadata");
        List<Verdict> out = new ArrayList<>(triggers.size());
        for (Signed s : triggers) {
            out.add(evaluate(s.trigger(), s.fingerprint(), fingerprints, metadata));
        }
        return out;
    }

    /** The verdict of one trigger. */
    public static Verdict evaluate(Trigger trigger, Set<String> fingerprints, EventMetadata metadata) {
        return evaluate(trigger, trigger.secretFingerprint(), fingerprints, metadata);
    }

    /**
     * The verdict of one trigger whose fingerprint the caller computed once.
     *
     * @param fingerprints the fingerprints of the secrets that signed the delivery (header
     *                     {@code pdpipeline-secret-fingerprints})
     */
    public static Verdict evaluate(Trigger trigger, String triggerFingerprint, Set<String> fingerprints,
            EventMetadata metadata) {
        Objects.requireNonNull(trigger, "trigger");
        if (!fingerprints.contains(triggerFingerprint)) {
            // Short and cheap: most triggers of a large set are "not signed" for most deliveries.
            return new Verdict(trigger, Kind.NOT_SIGNED, null, "not signed by this trigger's secret (fingerprint "
                    + triggerFingerprint + ")");
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
