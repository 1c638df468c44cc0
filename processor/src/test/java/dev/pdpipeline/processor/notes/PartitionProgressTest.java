package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionProgressTest {

    private final TopicPartition tp = new TopicPartition("agent.results", 0);

    @Test
    void commitsOnlyBelowTheLowestUnfinishedResult() {
        PartitionProgress p = new PartitionProgress(tp);
        p.add(10);
        p.add(11);
        p.add(12);
        p.finish(11);
        p.finish(12);
        assertThat(p.committable()).isEqualTo(OptionalLong.of(10));
        p.committed(10);
        assertThat(p.committable()).isEmpty();
        p.finish(10);
        assertThat(p.committable()).isEqualTo(OptionalLong.of(13));
    }

    @Test
    void nothingReadNothingToCommit() {
        assertThat(new PartitionProgress(tp).committable()).isEmpty();
    }

    @Test
    void theFenceIsTheOneGivenAtAssignment() {
        CompletableFuture<Void> fence = new CompletableFuture<>();
        PartitionProgress p = new PartitionProgress(tp, fence);
        assertThat(p.fence()).isNotDone();
        fence.complete(null);
        assertThat(p.fence()).isDone();
    }

    @Test
    void settlesAtOnceWithoutWritesInFlight() throws Exception {
        assertThat(new PartitionProgress(tp).awaitSettled(0)).isTrue();
    }

    @Test
    void settleGivesUpAtItsBoundWhileAWriteRuns() throws Exception {
        PartitionProgress p = new PartitionProgress(tp);
        p.writeStarted();
        long start = System.nanoTime();
        assertThat(p.awaitSettled(TimeUnit.MILLISECONDS.toNanos(200))).isFalse();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(190));
        assertThat(p.writing()).isEqualTo(1);
    }

    @Test
    void settleReturnsWhenTheLastWriteEnds() throws Exception {
        PartitionProgress p = new PartitionProgress(tp);
        p.writeStarted();
        p.writeStarted();
        CountDownLatch waiting = new CountDownLatch(1);
        CompletableFuture<Boolean> settled = CompletableFuture.supplyAsync(() -> {
            waiting.countDown();
            try {
                return p.awaitSettled(TimeUnit.SECONDS.toNanos(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(waiting.await(5, TimeUnit.SECONDS)).isTrue();
        p.writeEnded();
        assertThat(settled).isNotDone();
        p.writeEnded();
        assertThat(settled.get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void revokedStopsNewWork() {
        PartitionProgress p = new PartitionProgress(tp);
        assertThat(p.revoked()).isFalse();
        p.revoke();
        assertThat(p.revoked()).isTrue();
    }
}
