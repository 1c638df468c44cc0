package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IncidentQueuesTest {

    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final IncidentQueues queues = new IncidentQueues(executor);

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void runsAnIncidentsTasksInOrderEvenWhenEachWaits() {
        List<Integer> done = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> gates = List.of(new CompletableFuture<>(), new CompletableFuture<>(),
                new CompletableFuture<>());
        for (int i = 0; i < 3; i++) {
            int n = i;
            queues.submit("P1", () -> gates.get(n).thenRun(() -> done.add(n)));
        }
        gates.get(2).complete(null);
        gates.get(1).complete(null);
        assertThat(done).isEmpty(); // the first has not finished: the others wait
        gates.get(0).complete(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> done.size() == 3);
        assertThat(done).containsExactly(0, 1, 2);
    }

    @Test
    void aStuckIncidentDelaysNoOther() {
        CompletableFuture<Void> stuck = new CompletableFuture<>();
        List<String> done = new CopyOnWriteArrayList<>();
        queues.submit("P1", () -> stuck);
        queues.submit("P1", () -> {
            done.add("P1 second");
            return CompletableFuture.completedFuture(null);
        });
        queues.submit("P2", () -> {
            done.add("P2");
            return CompletableFuture.completedFuture(null);
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> done.contains("P2"));
        assertThat(done).doesNotContain("P1 second");
        stuck.complete(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> done.contains("P1 second"));
    }

    @Test
    void aFailingTaskDoesNotStopItsQueue() {
        List<String> done = new CopyOnWriteArrayList<>();
        queues.submit("P1", () -> {
            throw new IllegalStateException("boom");
        });
        queues.submit("P1", () -> CompletableFuture.failedFuture(new IllegalStateException("failed")));
        queues.submit("P1", () -> {
            done.add("after");
            return CompletableFuture.completedFuture(null);
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> done.contains("after"));
    }

    @Test
    void aQueueDisappearsWhenItsLastTaskEnds() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        queues.submit("P1", () -> gate);
        await().atMost(Duration.ofSeconds(10)).until(() -> queues.size() == 1);
        gate.complete(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> queues.size() == 0);
    }
}
