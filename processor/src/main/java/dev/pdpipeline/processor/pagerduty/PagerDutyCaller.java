package dev.pdpipeline.processor.pagerduty;

import dev.pdpipeline.common.trigger.SecretFingerprint;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs PagerDuty calls under the rate limit and the retry policy, without holding a thread while
 * waiting: waits are scheduled, attempts run on the given executor.
 *
 * <ul>
 *   <li>One resilience4j {@link RateLimiter} per API token (PagerDuty limits per key), smoothing
 *       calls to at most {@code ratePerMinute}: one permit every {@code 60 s / ratePerMinute},
 *       taken again when a worker only got to it late, so delayed calls do not bunch up.</li>
 *   <li>429: the token is paused for as long as PagerDuty says ({@code ratelimit-reset}, else
 *       {@code Retry-After}, else the backoff), then the call is tried again.</li>
 *   <li>Transient failures (5xx, 408, timeouts, connection errors): exponential backoff with
 *       jitter ({@link IntervalFunction#ofExponentialRandomBackoff}), until the call's time
 *       budget is spent; then {@link RetriesExhaustedException} with the last error.</li>
 *   <li>Other 4xx: fail at once with the {@link PagerDutyException}.</li>
 * </ul>
 */
public final class PagerDutyCaller {

    private static final Logger log = LoggerFactory.getLogger(PagerDutyCaller.class);
    private static final double BACKOFF_MULTIPLIER = 2.0;
    private static final double JITTER = 0.5;
    /**
     * A call whose reserved slot came due while every worker was busy takes a fresh slot instead
     * of sending late (late sends bunch up and overshoot the limit); at most this often per try,
     * so a saturated pool cannot starve it.
     */
    private static final int MAX_LATE_RESERVATIONS = 3;

    /** One try of a call. */
    @FunctionalInterface
    public interface Attempt<T> {
        /**
         * @param afterAmbiguousFailure true when an earlier try (or an earlier run of the writer)
         *                              may have taken effect, so a write should check first; such
         *                              tries are charged two rate-limit permits
         */
        T run(boolean afterAmbiguousFailure) throws PagerDutyException;
    }

    /** How often a call waiting for a share above zero looks again. */
    private static final long NO_SHARE_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final int ratePerMinute;
    /** This instance's part of {@code ratePerMinute}, in [0, 1]; see {@link #share(double)}. */
    private volatile double share = 1.0;
    private final Duration maxRetryDuration;
    private final IntervalFunction backoff;
    private final Executor executor;
    private final MeterRegistry registry;
    private final Map<String, TokenState> tokens = new ConcurrentHashMap<>();

    /**
     * @param ratePerMinute    most calls per token and minute
     * @param maxRetryDuration how long one call may keep retrying transient failures
     * @param initialBackoff   first backoff; doubles (with ±50% jitter) up to {@code maxBackoff}
     */
    public PagerDutyCaller(int ratePerMinute, Duration maxRetryDuration, Duration initialBackoff, Duration maxBackoff,
            Executor executor, MeterRegistry registry) {
        if (ratePerMinute < 1) {
            throw new IllegalArgumentException("ratePerMinute must be at least 1, was " + ratePerMinute);
        }
        this.ratePerMinute = ratePerMinute;
        this.maxRetryDuration = Objects.requireNonNull(maxRetryDuration, "maxRetryDuration");
        this.backoff = IntervalFunction.ofExponentialRandomBackoff(Objects.requireNonNull(initialBackoff,
                "initialBackoff"), BACKOFF_MULTIPLIER, JITTER, Objects.requireNonNull(maxBackoff, "maxBackoff"));
        this.executor = Objects.requireNonNull(executor, "executor");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * Runs {@code attempt} until it succeeds, is rejected, runs out of time or is cancelled.
     *
     * @param initiallyAmbiguous whether the first try must already check first (the write may
     *                           have happened before a crash)
     * @param cancelled          checked before every try; true completes the future with a
     *                           {@link CancellationException}
     * @return completes with the value, or exceptionally with {@link PagerDutyException}
     *         (rejected), {@link RetriesExhaustedException}, {@link CancellationException}, or
     *         the runtime exception the attempt threw
     */
    public <T> CompletableFuture<T> call(String token, String operation, Attempt<T> attempt, boolean initiallyAmbiguous,
            BooleanSupplier cancelled) {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(attempt, "attempt");
        Objects.requireNonNull(cancelled, "cancelled");
        Call<T> call = new Call<>(tokenState(token), operation, attempt, cancelled, initiallyAmbiguous,
                System.nanoTime() + maxRetryDuration.toNanos());
        executor.execute(() -> step(call));
        return call.result;
    }

    /**
     * Sets this instance's part of the per-token limit (its share of the results partitions, see
     * {@code RateShare}): every token's limiter is replaced by one paced at {@code ratePerMinute x
     * fraction}, and calls holding a slot of the old pace take a new one, so the old and the new
     * pace never add up. Zero stops every call until a share is given again.
     */
    public void share(double fraction) {
        if (!(fraction >= 0.0 && fraction <= 1.0)) {
            throw new IllegalArgumentException("share must be in [0, 1], was " + fraction);
        }
        synchronized (tokens) {
            if (fraction == share) {
                return;
            }
            share = fraction;
            tokens.values().forEach(t -> t.reshape(fraction));
        }
        log.info("PagerDuty budget of this instance: {} calls per minute per token ({} of {})",
                String.format(java.util.Locale.ROOT, "%.1f", ratePerMinute * fraction),
                String.format(java.util.Locale.ROOT, "%.3f", fraction), ratePerMinute);
    }

    /** Calls per minute and token this instance may currently send. */
    public double callsPerMinute() {
        return ratePerMinute * share;
    }

    private TokenState tokenState(String token) {
        synchronized (tokens) {
            // the limiter is named by the token's fingerprint: never the token itself
            return tokens.computeIfAbsent(token, t -> new TokenState("pagerduty-" + SecretFingerprint.of(t),
                    ratePerMinute, share));
        }
    }

    private <T> void step(Call<T> call) {
        try {
            if (call.cancelled.getAsBoolean()) {
                call.result.completeExceptionally(new CancellationException(call.operation + " abandoned"));
                return;
            }
            long now = System.nanoTime();
            long paused = call.token.pausedUntilNanos - now;
            if (paused > 0) {
                schedule(call, paused);
                return;
            }
            TokenState.Pace pace = call.token.pace;
            if (call.permitReserved && call.pace != pace) {
                // the share changed since this slot was taken: the old pace no longer holds
                call.permitReserved = false;
            }
            if (call.permitReserved && now - call.permitDueNanos > pace.lateTolerance
                    && call.lateReservations < MAX_LATE_RESERVATIONS) {
                // woke up late (busy workers): sending now would bunch calls; take a fresh slot
                call.permitReserved = false;
                call.lateReservations++;
            }
            if (!call.permitReserved) {
                if (pace.limiter == null) {
                    schedule(call, NO_SHARE_RECHECK_NANOS); // no share of the budget right now
                    return;
                }
                long wait = pace.limiter.reservePermission(call.ambiguous ? 2 : 1);
                if (wait < 0) {
                    schedule(call, TimeUnit.SECONDS.toNanos(1));
                    return;
                }
                call.permitReserved = true;
                call.pace = pace;
                call.permitDueNanos = now + wait;
                if (wait > 0) {
                    schedule(call, wait);
                    return;
                }
            }
            call.permitReserved = false;
            call.lateReservations = 0;
            call.attempts++;
            T value = call.attempt.run(call.ambiguous);
            call.result.complete(value);
        } catch (PagerDutyException e) {
            failed(call, e);
        } catch (RuntimeException | Error e) {
            call.result.completeExceptionally(e);
        }
    }

    private <T> void failed(Call<T> call, PagerDutyException e) {
        switch (e.kind()) {
            case REJECTED -> call.result.completeExceptionally(e);
            case RATE_LIMITED -> {
                counter("pdpipeline.notes.rate_limited", "429 answers from PagerDuty", call.operation).increment();
                long waitMs = e.retryAfter() != null ? Math.max(e.retryAfter().toMillis(), 100L)
                        : backoff.apply(Math.max(1, call.transientFailures + 1));
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
                call.token.pauseUntil(until);
                log.warn("PagerDuty rate limit hit on {} (token limiter {}); pausing that token for {} ms",
                        call.operation, call.token.name, waitMs);
                retryLater(call, e, TimeUnit.MILLISECONDS.toNanos(waitMs), "rate_limited");
            }
            case TRANSIENT -> {
                call.transientFailures++;
                call.ambiguous = call.ambiguous || e.ambiguous();
                long waitMs = backoff.apply(call.transientFailures);
                log.info("PagerDuty {} failed (attempt {}), retrying in {} ms: {}", call.operation, call.attempts,
                        waitMs, e.getMessage());
                retryLater(call, e, TimeUnit.MILLISECONDS.toNanos(waitMs), "transient");
            }
            default -> call.result.completeExceptionally(e);
        }
    }

    private <T> void retryLater(Call<T> call, PagerDutyException e, long waitNanos, String reason) {
        call.lastError = e;
        if (System.nanoTime() + waitNanos > call.deadlineNanos) {
            call.result.completeExceptionally(new RetriesExhaustedException("gave up on " + call.operation + " after "
                    + call.attempts + " attempts in " + maxRetryDuration.toMillis() + " ms; last error: "
                    + e.getMessage(), e, call.attempts));
            return;
        }
        registry.counter("pdpipeline.notes.retries", "operation", call.operation, "reason", reason).increment();
        schedule(call, waitNanos);
    }

    private Counter counter(String name, String description, String operation) {
        return Counter.builder(name).description(description).tag("operation", operation).register(registry);
    }

    private <T> void schedule(Call<T> call, long delayNanos) {
        Executor delayed = CompletableFuture.delayedExecutor(Math.max(1, delayNanos), TimeUnit.NANOSECONDS, executor);
        try {
            delayed.execute(() -> step(call));
        } catch (RuntimeException e) {
            call.result.completeExceptionally(new CancellationException("executor closed: " + e));
        }
    }

    private static final class TokenState {
        final String name;
        final int ratePerMinute;
        /** Replaced (never changed) when the share changes; calls compare it by identity. */
        volatile Pace pace;
        volatile long pausedUntilNanos = System.nanoTime();

        TokenState(String name, int ratePerMinute, double share) {
            this.name = name;
            this.ratePerMinute = ratePerMinute;
            this.pace = new Pace(name, ratePerMinute * share);
        }

        void reshape(double share) {
            pace = new Pace(name, ratePerMinute * share);
        }

        /**
         * One permit every {@code 60 s / perMinute}, none stored up: resilience4j cannot change
         * a limiter's refresh period, and a fixed period with {@code changeLimitForPeriod} would
         * hand out each period's permits at once (a burst), so a new share gets a new limiter.
         */
        static final class Pace {
            final RateLimiter limiter;
            /** How late a reserved slot may be used before it is given up for a fresh one. */
            final long lateTolerance;

            Pace(String name, double perMinute) {
                if (perMinute <= 0) {
                    limiter = null;
                    lateTolerance = 0;
                    return;
                }
                // rounded up: a share never paces faster than its part of the limit
                long periodNanos = Math.max(1_000L, (long) Math.ceil(TimeUnit.MINUTES.toNanos(1) / perMinute));
                RateLimiterConfig config = RateLimiterConfig.custom()
                        .limitForPeriod(1)
                        .limitRefreshPeriod(Duration.ofNanos(periodNanos))
                        .timeoutDuration(Duration.ofMinutes(10))
                        .build();
                limiter = RateLimiter.of(name, config);
                lateTolerance = Math.max(periodNanos, TimeUnit.MILLISECONDS.toNanos(20));
            }
        }

        synchronized void pauseUntil(long nanos) {
            if (nanos - pausedUntilNanos > 0) {
                pausedUntilNanos = nanos;
            }
        }
    }

    private static final class Call<T> {
        final TokenState token;
        final String operation;
        final Attempt<T> attempt;
        final BooleanSupplier cancelled;
        final long deadlineNanos;
        final CompletableFuture<T> result = new CompletableFuture<>();
        boolean ambiguous;
        boolean permitReserved;
        TokenState.Pace pace;
        long permitDueNanos;
        int lateReservations;
        int attempts;
        int transientFailures;
        PagerDutyException lastError;

        Call(TokenState token, String operation, Attempt<T> attempt, BooleanSupplier cancelled, boolean ambiguous,
                long deadlineNanos) {
            this.token = token;
            this.operation = operation;
            this.attempt = attempt;
            this.cancelled = cancelled;
            this.ambiguous = ambiguous;
            this.deadlineNanos = deadlineNanos;
        }
    }
}
