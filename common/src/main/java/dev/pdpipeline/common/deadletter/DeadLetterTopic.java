package dev.pdpipeline.common.deadletter;

import dev.pdpipeline.common.topics.TopicCatalogue;
import java.util.Locale;

/**
 * The two dead-letter topics and where a re-drive sends their entries back: raw deliveries to the
 * raw topic (through the processor's dedup, so only the Triggers that did not fire are routed),
 * results to the results topic (through the notes writer's ledger, so no note is written twice).
 */
public enum DeadLetterTopic {
    RAW,
    RESULTS;

    /** The name used on the command line and in JSON: {@code raw} or {@code results}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String deadLetterTopic(TopicCatalogue topics) {
        return this == RAW ? topics.deadLetter() : topics.resultsDeadLetter();
    }

    public String redriveTarget(TopicCatalogue topics) {
        return this == RAW ? topics.raw() : topics.results();
    }

    /** {@code raw} or {@code results}, any case. */
    public static DeadLetterTopic parse(String label) {
        for (DeadLetterTopic t : values()) {
            if (t.label().equalsIgnoreCase(label == null ? "" : label.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dead-letter topic '" + label + "': raw or results");
    }
}
