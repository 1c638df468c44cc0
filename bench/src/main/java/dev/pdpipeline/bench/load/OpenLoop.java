package dev.pdpipeline.bench.load;

import dev.pdpipeline.bench.report.Latency;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An open-loop load generator: request {@code i} is due at {@code start + i / rate}, whatever
 * happened to earlier ones, and its latency is measured from that intended time. A subject that
 * stalls therefore shows the stall in every request that should have gone out meanwhile, instead
 * of silently slowing the generator down (coordinated omission).
 */
public final class OpenLoop {

    /** Sends request {@code index}; the future completes true on success, false on a failed answer. */
    @FunctionalInterface
    public interface Target {
        CompletableFuture<Boolean> send(int index);
    }

    /** What one run at a fixed rate gave. */
    public record Run(double targetRate, int sent, long ok, long failed, long unfinished, double achievedRate,
            double seconds, double maxSendLagMs, Histogram latency) {

        /** Sustainable: no failure, p99 within the bound and (almost) the whole rate achieved. */
        public boolean sustainable(double p99BoundMs) {
            return failed == 0 && unfinished == 0 && Latency.ms(latency, 99) <= p99BoundMs
                    && achievedRate >= 0.95 * targetRate;
        }
    }

    private OpenLoop() {
    }

    /**
     * Sends {@code count} requests at {@code rate} per second, then waits up to {@code drain} for
     * the last answers.
     */
    public static Run run(double rate, int count, Target target, Duration drain) {
        Objects.requireNonNull(target, "target");
        if (rate <= 0 || count <= 0) {
            throw new IllegalArgumentException("rate and count must be positive, got " + rate + ", " + count);
        }
        Recorder recorder = new Recorder(Latency.HIGHEST_MICROS, 3);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong done = new AtomicLong();
        LongAccumulator lastDone = new LongAccumulator(Math::max, 0);
        double periodNanos = 1e9 / rate;
        long maxLag = 0;
        long start = System.nanoTime() + 1_000_000; // 1 ms to get going
        for (int i = 0; i < count; i++) {
            long intended = start + (long) (i * periodNanos);
            long now = System.nanoTime();
            while (now < intended) {
                LockSupport.parkNanos(intended - now);
                now = System.nanoTime();
            }
            maxLag = Math.max(maxLag, now - intended);
            CompletableFuture<Boolean> answer;
            try {
                answer = target.send(i);
            } catch (RuntimeException e) {
                answer = CompletableFuture.completedFuture(false);
            }
            answer.whenComplete((success, error) -> {
                long end = System.nanoTime();
                recorder.recordValue(Math.min(Latency.HIGHEST_MICROS, Math.max(1, (end - intended) / 1000)));
                if (error == null && Boolean.TRUE.equals(success)) {
                    ok.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
                lastDone.accumulate(end);
                done.incrementAndGet();
            });
        }
        long deadline = System.nanoTime() + drain.toNanos();
        while (done.get() < count && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        long finished = done.get();
        long end = Math.max(lastDone.get(), start + (long) (count * periodNanos));
        double seconds = (end - start) / 1e9;
        Histogram histogram = recorder.getIntervalHistogram();
        return new Run(rate, count, ok.get(), failed.get(), count - finished, ok.get() / seconds, seconds,
                maxLag / 1e6, histogram);
    }
}
