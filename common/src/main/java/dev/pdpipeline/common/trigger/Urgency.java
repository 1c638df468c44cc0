package dev.pdpipeline.common.trigger;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/** PagerDuty incident urgency; {@link #HIGH} ranks above {@link #LOW}. */
public enum Urgency {
    HIGH, LOW;

    /** Parses {@code "high"} or {@code "low"}, ignoring case and surrounding whitespace; empty otherwise. */
    public static Optional<Urgency> parse(String s) {
        if (s == null) {
            return Optional.empty();
        }
        String n = s.trim().toUpperCase(Locale.ROOT);
        for (Urgency u : values()) {
            if (u.name().equals(n)) {
                return Optional.of(u);
            }
        }
        return Optional.empty();
    }

    /** Whether this urgency passes a {@code min_urgency} of {@code min}: HIGH passes everything, LOW only LOW. */
    public boolean satisfies(Urgency min) {
        Objects.requireNonNull(min, "min");
        return ordinal() <= min.ordinal();
    }
}
