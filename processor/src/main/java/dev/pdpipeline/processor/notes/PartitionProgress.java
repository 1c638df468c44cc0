package dev.pdpipeline.processor.notes;

import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;

/**
 * One assigned results partition: the results read but not finished, the writes in flight, and
 * the fence its new owner must pass before writing.
 *
 * <p>The committable offset is the lowest unfinished one (or one past the highest read):
 * committing further would lose a result on a crash, because later results of other incidents
 * finish before earlier ones. The fence completes once the ledger has been read up to its end
 * offsets as of the assignment, so the previous owner's {@code attempting} and {@code done}
 * entries are known before anything is written.
 */
final class PartitionProgress {

    final TopicPartition partition;
    private final CompletableFuture<Void> fence;
    private final TreeSet<Long> pending = new TreeSet<>();
    private long next = -1;
    private long committed = -1;
    private volatile boolean revoked;
    /** Results of this partition between their ledger 'attempting' and their end; guarded by this. */
    private int writing;

    PartitionProgress(TopicPartition partition) {
        this(partition, CompletableFuture.completedFuture(null));
    }

    PartitionProgress(TopicPartition partition, CompletableFuture<Void> fence) {
        this.partition = Objects.requireNonNull(partition, "partition");
        this.fence = Objects.requireNonNull(fence, "fence");
    }

    /** Completes when this partition may be written for; exceptionally when it never may (ledger reader dead). */
    CompletableFuture<Void> fence() {
        return fence;
    }

    synchronized void add(long offset) {
        pending.add(offset);
        next = Math.max(next, offset + 1);
    }

    synchronized void finish(long offset) {
        pending.remove(offset);
    }

    synchronized int pendingCount() {
        return pending.size();
    }

    /** The offset to commit, when it moved since the last commit. */
    synchronized OptionalLong committable() {
        if (next < 0) {
            return OptionalLong.empty();
        }
        long c = pending.isEmpty() ? next : pending.first();
        return c > committed ? OptionalLong.of(c) : OptionalLong.empty();
    }

    synchronized void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    /** Stops new work on this partition: it was revoked, lost, or the writer is closing. */
    void revoke() {
        revoked = true;
    }

    boolean revoked() {
        return revoked;
    }

    /** A result of this partition recorded 'attempting' and may now call PagerDuty. */
    synchronized void writeStarted() {
        writing++;
    }

    /** That result's writes ended (written, failed or abandoned). */
    synchronized void writeEnded() {
        writing--;
        if (writing <= 0) {
            notifyAll();
        }
    }

    synchronized int writing() {
        return writing;
    }

    /**
     * Waits until no write of this partition is in flight, at most {@code timeoutNanos}.
     *
     * @return true when settled, false when writes are still running at the deadline
     */
    synchronized boolean awaitSettled(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (writing > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
