package dev.pdpipeline.processor.topology;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The processor's own meters (Kafka Streams' are bound separately). Names and tags are listed in
 * docs/processor.md; tag values are bounded (trigger names, fixed outcome and reason codes).
 */
final class RoutingMetrics {

    static final String DECISIONS = "pdpipeline.processor.decisions";
    static final String RECORDS = "pdpipeline.processor.records";
    static final String PINGS = "pdpipeline.processor.pings";
    static final String DEAD_LETTERS = "pdpipeline.processor.dead_letters";
    static final String UNMATCHED = "pdpipeline.processor.unmatched";
    static final String DEDUP_PURGED = "pdpipeline.processor.dedup.purged";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Counter pings;
    private final Counter unmatched;
    private final Counter purged;

    RoutingMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.pings = Counter.builder(PINGS).description("pagey.ping deliveries seen (never routed)").register(registry);
        this.unmatched = Counter.builder(UNMATCHED)
                .description("Deliveries whose secret fingerprints name no enabled trigger").register(registry);
        this.purged = Counter.builder(DEDUP_PURGED).description("Expired dedup entries deleted").register(registry);
    }

    /** Decision counters by trigger, then outcome: looked up per trigger and record, so no key is built. */
    private final Map<String, Map<String, Counter>> decisions = new ConcurrentHashMap<>();

    void decision(String trigger, String outcome) {
        decisions.computeIfAbsent(trigger, t -> new ConcurrentHashMap<>())
                .computeIfAbsent(outcome, o -> Counter.builder(DECISIONS)
                        .description("Trigger decisions per raw record, by trigger and outcome")
                        .tag("trigger", trigger).tag("outcome", outcome).register(registry)).increment();
    }

    void record(String result) {
        counters.computeIfAbsent("r\u0000" + result, k -> Counter.builder(RECORDS)
                .description("Raw records processed, by result")
                .tag("result", result).register(registry)).increment();
    }

    void deadLetter(String reason) {
        counters.computeIfAbsent("l\u0000" + reason, k -> Counter.builder(DEAD_LETTERS)
                .description("Raw records sent to the dead-letter topic, by reason")
                .tag("reason", reason).register(registry)).increment();
    }

    void ping() {
        pings.increment();
    }

    void unmatched() {
        unmatched.increment();
    }

    void purged(int count) {
        if (count > 0) {
            purged.increment(count);
        }
    }
}
