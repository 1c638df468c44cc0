package dev.pdpipeline.processor.replay;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which record timestamps a replay or an explanation reads: {@code [from, to]}, either end open
 * (null). Built from the {@code --since}, {@code --from} and {@code --to} options, whose parse
 * errors name the option and show an example, because a typo here silently reads the wrong days.
 */
public record TimeRange(Instant from, Instant to) {

    /** No bound: everything the topic still holds. */
    public static final TimeRange ALL = new TimeRange(null, null);

    private static final Pattern SINCE = Pattern.compile("(\\d{1,9})\\s*([dhms])");

    public TimeRange {
        if (from != null && to != null && from.isAfter(to)) {
            throw new IllegalArgumentException("--from " + from + " is after --to " + to);
        }
    }

    /**
     * Parses a {@code --since} value: a positive whole number and a unit, {@code d} (days),
     * {@code h} (hours), {@code m} (minutes) or {@code s} (seconds), e.g. {@code 7d}, {@code 12h}.
     *
     * @throws IllegalArgumentException naming the option and the accepted form
     */
    public static Duration parseSince(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = SINCE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("--since must be a whole number followed by d, h, m or s"
                    + " (e.g. 7d, 12h, 30m), got '" + clip(text) + "'");
        }
        long amount = Long.parseLong(m.group(1));
        if (amount == 0) {
            throw new IllegalArgumentException("--since must be more than zero, got '" + clip(text) + "'");
        }
        return switch (m.group(2)) {
            case "d" -> Duration.ofDays(amount);
            case "h" -> Duration.ofHours(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    /**
     * Parses a {@code --from}/{@code --to} value: an ISO-8601 instant ({@code 2025-05-14T09:00:00Z})
     * or a date ({@code 2025-05-14}, midnight UTC).
     */
    public static Instant parseInstant(String option, String text) {
        Objects.requireNonNull(text, option);
        String t = text.trim();
        try {
            return Instant.parse(t);
        } catch (DateTimeException e) {
            try {
                return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeException e2) {
                throw new IllegalArgumentException(option + " must be an ISO-8601 instant such as"
                        + " 2025-05-14T09:00:00Z or a date such as 2025-05-14 (UTC), got '" + clip(text) + "'");
            }
        }
    }

    /**
     * The range of the options, any of them null. {@code --since} and {@code --from} both set the
     * start, so giving both is an error; {@code fallbackSince} applies when neither is given.
     */
    public static TimeRange of(String since, String from, String to, Duration fallbackSince, Instant now) {
        Objects.requireNonNull(now, "now");
        if (since != null && from != null) {
            throw new IllegalArgumentException("give --since or --from, not both");
        }
        Instant start = null;
        if (since != null) {
            start = now.minus(parseSince(since));
        } else if (from != null) {
            start = parseInstant("--from", from);
        } else if (fallbackSince != null) {
            start = now.minus(fallbackSince);
        }
        Instant end = to == null ? null : parseInstant("--to", to);
        return new TimeRange(start, end);
    }

    /** Whether a record timestamp (epoch ms) is inside the range, ends included. */
    public boolean contains(long timestampMs) {
        return (from == null || timestampMs >= from.toEpochMilli()) && (to == null || timestampMs <= to.toEpochMilli());
    }

    /** Human text for progress lines, e.g. {@code 2025-05-07T09:00:00Z .. now}. */
    public String describe() {
        if (from == null && to == null) {
            return "everything retained";
        }
        return (from == null ? "the oldest retained record" : from.toString()) + " .. "
                + (to == null ? "now" : to.toString());
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
