package dev.pdpipeline.processor.notes;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One serial queue per incident over a shared executor: results of one incident are applied in
 * order, while an incident waiting on retries holds no thread and delays no other incident. A
 * queue is a chain of futures; it disappears when its last task finishes.
 */
final class IncidentQueues {

    private static final Logger log = LoggerFactory.getLogger(IncidentQueues.class);

    private final Executor executor;
    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

    IncidentQueues(Executor executor) {
        this.executor = Objects.requireNonNull(executor, "executor");
    }

    /** Runs {@code task} after every task submitted earlier for {@code incident} has completed. */
    void submit(String incident, Supplier<? extends CompletionStage<?>> task) {
        Objects.requireNonNull(incident, "incident");
        Objects.requireNonNull(task, "task");
        java.util.concurrent.atomic.AtomicReference<CompletableFuture<Void>> created =
                new java.util.concurrent.atomic.AtomicReference<>();
        tails.compute(incident, (key, tail) -> {
            CompletableFuture<Void> previous = tail == null ? CompletableFuture.completedFuture(null) : tail;
            CompletableFuture<Void> next = previous.thenComposeAsync(ignored -> {
                try {
                    return task.get().handle((v, e) -> (Void) null);
                } catch (RuntimeException e) {
                    log.error("A task of incident {} failed", incident, e);
                    return CompletableFuture.<Void>completedFuture(null);
                }
            }, executor).handle((v, e) -> null);
            created.set(next);
            return next;
        });
        CompletableFuture<Void> mine = created.get();
        mine.whenComplete((v, e) -> tails.remove(incident, mine));
    }

    /** Incidents with queued or running work. */
    int size() {
        return tails.size();
    }
}
