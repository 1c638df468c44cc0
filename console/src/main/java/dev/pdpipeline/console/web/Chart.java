package dev.pdpipeline.console.web;

import dev.pdpipeline.console.index.MinuteBucket;
import java.util.ArrayList;
import java.util.List;

/**
 * The deliveries-per-minute chart as SVG rectangles, computed here so the template only draws
 * them: one stacked bar per minute, one colour (CSS class) per outcome.
 */
public record Chart(int width, int height, long max, List<Bar> bars, List<String> legend) {

    /** One rectangle; {@code label} is its tooltip. */
    public record Bar(int x, int y, int w, int h, String cssClass, String label) {
    }

    static final List<String> ORDER = List.of("routed", "filtered", "duplicate", "dead_lettered", "ping",
            "not_routed", "disabled", "not_signed");

    static Chart of(List<MinuteBucket> minutes) {
        int barW = 8;
        int gap = 2;
        int height = 80;
        long max = 1;
        for (MinuteBucket m : minutes) {
            max = Math.max(max, m.total());
        }
        List<Bar> bars = new ArrayList<>();
        for (int i = 0; i < minutes.size(); i++) {
            MinuteBucket m = minutes.get(i);
            int y = height;
            for (String outcome : ORDER) {
                long n = m.counts().getOrDefault(outcome, 0L);
                if (n == 0) {
                    continue;
                }
                int h = (int) Math.max(1, Math.round((double) n * height / max));
                y -= h;
                bars.add(new Bar(i * (barW + gap), y, barW, h, "o-" + outcome,
                        m.minute() + ": " + n + " " + outcome.replace('_', ' ')));
            }
        }
        return new Chart(minutes.size() * (barW + gap), height, max, bars, ORDER);
    }
}
