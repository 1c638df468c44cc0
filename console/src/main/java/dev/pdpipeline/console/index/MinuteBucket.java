package dev.pdpipeline.console.index;

import java.util.Map;

/** Deliveries of one minute (UTC, by decision time) by summary outcome. */
public record MinuteBucket(String minute, Map<String, Long> counts) {

    public long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
