package dev.pdpipeline.processor.notes;

import dev.pdpipeline.processor.pagerduty.PagerDutyCaller;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleConsumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the notes writer does when results partitions move between instances (design in
 * docs/notes.md, "Exactly once" and "One budget"):
 *
 * <ul>
 *   <li><b>Assigned</b>: the partition is fenced until the ledger has been read up to its end
 *       offsets as of now, so the previous owner's last entries are known; then the budget share
 *       is raised.</li>
 *   <li><b>Revoked</b> or <b>lost</b>: no new work starts; writes in flight get a bounded time to
 *       settle (what is still running then stays {@code attempting}, and whoever reads it next
 *       checks the incident for its marker first); finished offsets are committed (revoked only);
 *       then the budget share is lowered, before the partition can be given to another
 *       instance.</li>
 * </ul>
 */
final class NotesRebalance implements ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(NotesRebalance.class);

    private final ResultsConsumer consumer;
    private final Supplier<CompletableFuture<Void>> ledgerCaughtUp;
    private final DoubleConsumer share;
    private final Duration settleTimeout;
    private final String topic;
    private volatile int assignedCount;
    private volatile int totalPartitions;

    /**
     * @param ledgerCaughtUp the ledger's {@code caughtUp()}: a new partition's fence
     * @param share          receives this instance's share of the budget ({@link PagerDutyCaller#share})
     * @param settleTimeout  how long revoked writes may take to end; at least the request timeout
     */
    NotesRebalance(ResultsConsumer consumer, String topic, Supplier<CompletableFuture<Void>> ledgerCaughtUp,
            DoubleConsumer share, Duration settleTimeout) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.ledgerCaughtUp = Objects.requireNonNull(ledgerCaughtUp, "ledgerCaughtUp");
        this.share = Objects.requireNonNull(share, "share");
        this.settleTimeout = Objects.requireNonNull(settleTimeout, "settleTimeout");
    }

    /** Results partitions this instance owns. */
    int assignedPartitions() {
        return assignedCount;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        List<PartitionProgress> revoked = take(partitions);
        settle(revoked);
        try {
            consumer.commit(true, revoked);
        } catch (RuntimeException e) {
            log.warn("Committing revoked notes partitions {} failed: {}", partitions, e.toString());
        }
        revoked.forEach(p -> consumer.progress().remove(p.partition));
        reshare();
        log.info("Notes partitions revoked: {}", partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        List<PartitionProgress> lost = take(partitions);
        // another instance may own them already: stop at once, let what is in flight end (bounded)
        settle(lost);
        lost.forEach(p -> consumer.progress().remove(p.partition));
        reshare();
        log.warn("Notes partitions lost: {}", partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            CompletableFuture<Void> fence = ledgerCaughtUp.get();
            long asked = System.nanoTime();
            fence.whenComplete((v, e) -> {
                if (e == null) {
                    log.info("Notes partition {} unfenced: ledger read up to its end as of the assignment ({} ms)",
                            tp, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked));
                } else {
                    log.error("Notes partition {} stays fenced: the ledger cannot be read ({})", tp, e.toString());
                }
            });
            consumer.progress().put(tp, new PartitionProgress(tp, fence));
        }
        if (consumer.isPaused()) {
            consumer.consumer().pause(partitions);
        }
        reshare();
        consumer.assigned();
        log.info("Notes partitions assigned: {} (fenced until the ledger is read up to date)", partitions);
    }

    private List<PartitionProgress> take(Collection<TopicPartition> partitions) {
        List<PartitionProgress> taken = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            PartitionProgress p = consumer.progress().get(tp);
            if (p != null) {
                p.revoke();
                taken.add(p);
            }
        }
        return taken;
    }

    /** Waits, at most the settle timeout in all, until no write of these partitions is in flight. */
    void settle(Collection<PartitionProgress> partitions) {
        long deadline = System.nanoTime() + settleTimeout.toNanos();
        for (PartitionProgress p : partitions) {
            boolean settled;
            try {
                settled = p.awaitSettled(deadline - System.nanoTime());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (!settled) {
                log.warn("{} writes of {} still running after {} ms; they stay 'attempting' and the next reader "
                        + "checks the incident for their marker", p.writing(), p.partition, settleTimeout.toMillis());
            }
        }
    }

    private void reshare() {
        int total = totalPartitions;
        try {
            total = consumer.consumer().partitionsFor(topic).size();
            totalPartitions = total;
        } catch (RuntimeException e) {
            log.warn("Cannot read the partition count of {} (keeping {}): {}", topic, total, e.toString());
        }
        int assigned = consumer.progress().size();
        assignedCount = assigned;
        share.accept(RateShare.of(assigned, Math.max(total, assigned)));
    }
}
