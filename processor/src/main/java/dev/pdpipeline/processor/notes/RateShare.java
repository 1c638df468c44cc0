package dev.pdpipeline.processor.notes;

/**
 * This instance's part of the per-token PagerDuty budget: its share of the results topic's
 * partitions. Every instance of one {@code APPLICATION_ID} shares one token's limit; since each
 * results partition has exactly one owner, the shares of all instances add up to at most 1 at
 * every moment, provided a revocation lowers the share before the partition's next owner raises
 * its own (the consumer's rebalance protocol runs revocations before the new assignment).
 */
final class RateShare {

    private RateShare() {
    }

    /**
     * @param assigned results partitions this instance owns
     * @param total    partitions of the results topic (0 or less when unknown: no share)
     * @return a fraction in [0, 1]
     */
    static double of(int assigned, int total) {
        if (assigned < 0) {
            throw new IllegalArgumentException("assigned must not be negative, was " + assigned);
        }
        if (total <= 0 || assigned == 0) {
            return 0.0;
        }
        return Math.min(1.0, (double) assigned / total);
    }

    /** Calls per minute for {@code fraction} of {@code limitPerMinute}. */
    static double perMinute(int limitPerMinute, double fraction) {
        return limitPerMinute * fraction;
    }
}
