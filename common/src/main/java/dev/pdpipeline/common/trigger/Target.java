package dev.pdpipeline.common.trigger;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a Trigger sends an event: an AOF agent, flow or fleet, by name. Every kind is served on the
 * agent topic template with {@code {agent}} = {@link #name()}; the kind travels in the request
 * envelope's {@code target} object so that whatever consumes the topic knows what it stands for.
 *
 * @param kind what the name designates
 * @param name a legal Kafka topic name fragment (checked by the loader)
 */
public record Target(Kind kind, String name) {

    /** The kinds AOF's {@code commands} map can name. */
    public enum Kind {
        AGENT, FLOW, FLEET;

        /** The name in Trigger files and in the envelope: {@code agent}, {@code flow}, {@code fleet}. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The kind of a wire name (exact, lowercase), if any. */
        public static Optional<Kind> parse(String wireName) {
            for (Kind k : values()) {
                if (k.wireName().equals(wireName)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    public Target {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
    }

    public static Target agent(String name) {
        return new Target(Kind.AGENT, name);
    }

    /** {@code flow incident-flow}: for logs and explanations. */
    @Override
    public String toString() {
        return kind.wireName() + " " + name;
    }
}
