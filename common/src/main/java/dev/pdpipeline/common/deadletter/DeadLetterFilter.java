package dev.pdpipeline.common.deadletter;

import java.time.Instant;
import java.util.function.Predicate;

/**
 * Which entries a listing or a re-drive takes; every null criterion matches everything.
 *
 * @param reason   the {@code pdpipeline-dlq-reason} code, exactly
 * @param incident the incident id, exactly
 * @param since    entries dead-lettered at or after this instant
 */
public record DeadLetterFilter(String reason, String incident, Instant since) implements Predicate<DeadLetter> {

    public static final DeadLetterFilter ALL = new DeadLetterFilter(null, null, null);

    @Override
    public boolean test(DeadLetter entry) {
        return (reason == null || reason.equals(entry.reason()))
                && (incident == null || incident.equals(entry.incident()))
                && (since == null || !entry.time().isBefore(since));
    }

    public boolean isEmpty() {
        return reason == null && incident == null && since == null;
    }
}
