package dev.pdpipeline.processor.topology;

import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of {@link RoutingTopology} that are not topic names or triggers.
 *
 * @param dedupWindow   how long an (event, trigger) pair is remembered; PagerDuty retries for up to
 *                      48 hours, so anything shorter lets late retries through
 * @param purgeInterval how often (wall clock) expired dedup entries are deleted
 * @param purgeBatch    most entries examined per purge run and task, so one run never stalls
 *                      processing for long; a full pass may take several runs
 */
public record RoutingOptions(Duration dedupWindow, Duration purgeInterval, int purgeBatch) {

    public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofHours(72);
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofMinutes(1);
    public static final int DEFAULT_PURGE_BATCH = 10_000;

    public RoutingOptions {
        Objects.requireNonNull(dedupWindow, "dedupWindow");
        Objects.requireNonNull(purgeInterval, "purgeInterval");
        if (dedupWindow.isNegative() || dedupWindow.isZero()) {
            throw new IllegalArgumentException("dedupWindow must be positive, was " + dedupWindow);
        }
        if (purgeInterval.toMillis() < 1) {
            throw new IllegalArgumentException("purgeInterval must be at least 1 ms, was " + purgeInterval);
        }
        if (purgeBatch < 1) {
            throw new IllegalArgumentException("purgeBatch must be at least 1, was " + purgeBatch);
        }
    }

    /** 72 h window, purge every minute, 10,000 entries per run. */
    public static RoutingOptions defaults() {
        return new RoutingOptions(DEFAULT_DEDUP_WINDOW, DEFAULT_PURGE_INTERVAL, DEFAULT_PURGE_BATCH);
    }

    /** The defaults with another window. */
    public RoutingOptions withDedupWindow(Duration window) {
        return new RoutingOptions(window, purgeInterval, purgeBatch);
    }
}
