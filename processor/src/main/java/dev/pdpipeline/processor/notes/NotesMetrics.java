package dev.pdpipeline.processor.notes;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.function.Supplier;

/** The notes writer's Micrometer meters (names and tags listed in docs/notes.md). */
final class NotesMetrics {

    static final String WRITES = "pdpipeline.notes.writes";
    static final String DEAD_LETTERS = "pdpipeline.notes.dead_letters";
    static final String BACKLOG = "pdpipeline.notes.backlog";
    static final String BUDGET = "pdpipeline.notes.budget_per_minute";
    static final String PARTITIONS = "pdpipeline.notes.partitions";

    static final String WRITTEN = "written";
    static final String DRY_RUN = "dry_run";
    static final String DUPLICATE_SKIPPED = "duplicate_skipped";
    static final String REPLAY_SKIPPED = "replay_skipped";
    static final String DEAD_LETTERED = "dead_lettered";

    static final String KIND_NOTE = "note";
    static final String KIND_STATUS = "status";

    private final MeterRegistry registry;

    NotesMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    void backlog(Supplier<Number> pending) {
        Gauge.builder(BACKLOG, pending).description("Agent results read but not yet finished").register(registry);
    }

    /** This instance's share of the PagerDuty budget, and the results partitions it is based on. */
    void budget(Supplier<Number> callsPerMinute, Supplier<Number> partitions) {
        Gauge.builder(BUDGET, callsPerMinute)
                .description("PagerDuty calls per minute and token this instance may send: its share of "
                        + "PAGERDUTY_RATE_LIMIT_PER_MINUTE")
                .register(registry);
        Gauge.builder(PARTITIONS, partitions).description("Results partitions this instance writes notes for")
                .register(registry);
    }

    /** Counts one outcome per kind the result carries (a note, a status, or both). */
    void writes(String outcome, AgentResult result) {
        if (result == null) {
            writes(outcome, KIND_NOTE);
            return;
        }
        if (result.note() != null) {
            writes(outcome, KIND_NOTE);
        }
        if (result.status() != null) {
            writes(outcome, KIND_STATUS);
        }
    }

    void writes(String outcome, String kind) {
        Counter.builder(WRITES).description("Agent results by outcome and kind")
                .tag("outcome", outcome).tag("kind", kind).register(registry).increment();
    }

    void deadLetter(DeadLetterReason reason) {
        Counter.builder(DEAD_LETTERS).description("Agent results dead-lettered, by reason")
                .tag("reason", reason.code()).register(registry).increment();
    }
}
