package dev.pdpipeline.bench.report;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import org.HdrHistogram.Histogram;

/** Latency summaries: histograms record microseconds, summaries print milliseconds. */
public final class Latency {

    /** Longest latency a histogram can hold: one minute, in microseconds. */
    public static final long HIGHEST_MICROS = 60_000_000L;

    private Latency() {
    }

    /** A histogram of microseconds, 3 significant digits. */
    public static Histogram newHistogram() {
        return new Histogram(1, HIGHEST_MICROS, 3);
    }

    /** Percentile in ms (0 for an empty histogram). */
    public static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    /** Max in ms. */
    public static double maxMs(Histogram h) {
        return h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0;
    }

    /** count, p50, p90, p99, p99.9, max (ms). */
    public static ObjectNode summary(Histogram h) {
        ObjectNode s = Json.mapper().createObjectNode();
        s.put("count", h.getTotalCount());
        s.put("p50Ms", round(ms(h, 50)));
        s.put("p90Ms", round(ms(h, 90)));
        s.put("p99Ms", round(ms(h, 99)));
        s.put("p999Ms", round(ms(h, 99.9)));
        s.put("maxMs", round(maxMs(h)));
        return s;
    }

    /** Rounds to 2 decimals, for readable JSON. */
    public static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }
}
