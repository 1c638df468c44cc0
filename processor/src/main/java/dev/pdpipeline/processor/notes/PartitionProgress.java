package dev.pdpipeline.processor.notes;

import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * The results of one assigned partition that were read but not finished. The committable offset
 * is the lowest unfinished one (or one past the highest read): committing further would lose a
 * result on a crash, because later results of other incidents finish before earlier ones.
 */
final class PartitionProgress {

    final TopicPartition partition;
    private final TreeSet<Long> pending = new TreeSet<>();
    private long next = -1;
    private long committed = -1;
    private volatile boolean revoked;
    /** Results of this partition between their ledger 'attempting' and their end. */
    final AtomicInteger writing = new AtomicInteger();

    PartitionProgress(TopicPartition partition) {
        this.partition = partition;
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
}
