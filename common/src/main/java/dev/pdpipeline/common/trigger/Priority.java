package dev.pdpipeline.common.trigger;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/** PagerDuty incident priority as named by the default priority scheme; {@link #P1} is the highest. */
public enum Priority {
    P1, P2, P3, P4, P5;

    /**
     * Parses {@code "P1"} .. {@code "P5"}, ignoring case and surrounding whitespace.
     *
     * @return empty for anything else (including null), so callers decide whether that is an error
     */
    public static Optional<Priority> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (Priority p : values()) {
            if (p.name().equals(n)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Whether this priority is {@code min} or more urgent ({@code P1.isAtLeast(P2)} is true). */
    public boolean isAtLeast(Priority min) {
        Objects.requireNonNull(min, "min");
        return ordinal() <= min.ordinal();
    }
}
