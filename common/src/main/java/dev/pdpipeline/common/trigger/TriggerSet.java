package dev.pdpipeline.common.trigger;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The Triggers loaded from one path, in load order (file name order, then document order), and
 * the documents of those files that were skipped, with why (nothing is dropped silently).
 * Immutable; names are unique.
 *
 * @param skipped the documents that are not PagerDuty Triggers, in load order
 */
public record TriggerSet(List<Trigger> triggers, List<SkippedDocument> skipped) {

    /** A set that skipped nothing. */
    public TriggerSet(List<Trigger> triggers) {
        this(triggers, List.of());
    }

    public TriggerSet {
        triggers = List.copyOf(Objects.requireNonNull(triggers, "triggers"));
        skipped = skipped == null ? List.of() : List.copyOf(skipped);
        Set<String> names = new HashSet<>();
        for (Trigger t : triggers) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("duplicate trigger name '" + t.name() + "'");
            }
        }
    }

    /** A set without triggers. */
    public static TriggerSet empty() {
        return new TriggerSet(List.of());
    }

    /** The triggers that route deliveries ({@code spec.enabled} true). */
    public List<Trigger> enabled() {
        return triggers.stream().filter(Trigger::enabled).toList();
    }

    /**
     * The webhook secrets a delivery's signature may be checked against: those of ALL triggers,
     * disabled ones included. A disabled trigger still authenticates its deliveries (they are then
     * simply not routed) because PagerDuty treats a 4xx answer as a failed delivery, retries it, and
     * eventually disables the whole webhook subscription; switching a trigger off must not do that.
     */
    public Set<String> webhookSecrets() {
        Set<String> secrets = new LinkedHashSet<>();
        triggers.forEach(t -> secrets.add(t.webhookSecret()));
        return Collections.unmodifiableSet(secrets);
    }

    public Optional<Trigger> byName(String name) {
        Objects.requireNonNull(name, "name");
        return triggers.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The triggers (enabled or not) whose webhook secret has this {@link SecretFingerprint}. */
    public List<Trigger> byFingerprint(String fingerprint) {
        Objects.requireNonNull(fingerprint, "fingerprint");
        return triggers.stream().filter(t -> t.secretFingerprint().equals(fingerprint)).toList();
    }

    public boolean isEmpty() {
        return triggers.isEmpty();
    }
}
