package dev.pdpipeline.processor.pagerduty;

import dev.pdpipeline.common.trigger.SecretFingerprint;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 *   <li>The retry loop itself is resilience4j's asynchronous {@link Retry}: its interval
 *       function returns the wait the failed try set (PagerDuty's, or the backoff), and its
 *       exception predicate stops when the next try would not fit the time budget.</li>
 *   <li>Other 4xx: fail at once with the {@link PagerDutyException}.</li>
 * </ul>
 */
public final class PagerDutyCaller implements AutoCloseable {

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
    /** Where resilience4j's Retry schedules the next try; the tries themselves run on {@code executor}. */
    private final ScheduledExecutorService scheduler;
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
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pagerduty-retry");
            t.setDaemon(true);
            return t;
        });
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * Runs {@code attempt} until it succeeds, is rejected, runs out of time or is cancelled.
     * The retry loop is resilience4j's {@link Retry} (asynchronous, on a scheduler); its interval
     * function waits as PagerDuty says after a 429 ({@code ratelimit-reset}, else
     * {@code Retry-After}) and backs off exponentially with jitter otherwise. Every try first
     * takes a slot of the token's limiter.
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
        RetryConfig config = RetryConfig.custom()
                .maxAttempts(Integer.MAX_VALUE) // bounded by time instead: see retryable
                .retryOnException(e -> retryable(call, e))
                .intervalBiFunction((attempts, either) -> Math.max(1L, call.nextWaitMs))
                .build();
        Retry retry = Retry.of("pagerduty-" + operation, config);
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            retry.executeCompletionStage(scheduler, () -> tryOnce(call)).whenComplete((v, e) -> {
                if (e == null) {
                    result.complete(v);
                } else {
                    result.completeExceptionally(outcome(call, unwrap(e)));
                }
            });
        } catch (RuntimeException e) {
            result.completeExceptionally(new CancellationException("scheduler closed: " + e));
        }
        return result;
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

    /** One try: a limiter slot (scheduled, not slept), then the attempt on the executor. */
    private <T> CompletionStage<T> tryOnce(Call<T> call) {
        CompletableFuture<Void> permit = new CompletableFuture<>();
        executor.execute(() -> awaitPermit(call, permit));
        return permit.thenApplyAsync(ignored -> {
            call.attempts++;
            try {
                return call.attempt.run(call.ambiguous);
            } catch (PagerDutyException e) {
                failed(call, e);
                throw new CompletionException(e);
            }
        }, executor);
    }

    /** Completes {@code permit} when the call may send: not cancelled, token not paused, a slot of the current pace. */
    private <T> void awaitPermit(Call<T> call, CompletableFuture<Void> permit) {
        try {
            if (call.cancelled.getAsBoolean()) {
                permit.completeExceptionally(new CancellationException(call.operation + " abandoned"));
                return;
            }
            long now = System.nanoTime();
            long paused = call.token.pausedUntilNanos - now;
            if (paused > 0) {
                later(() -> awaitPermit(call, permit), paused, permit);
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
                    later(() -> awaitPermit(call, permit), NO_SHARE_RECHECK_NANOS, permit); // no share right now
                    return;
                }
                long wait = pace.limiter.reservePermission(call.ambiguous ? 2 : 1);
                if (wait < 0) {
                    later(() -> awaitPermit(call, permit), TimeUnit.SECONDS.toNanos(1), permit);
                    return;
                }
                call.permitReserved = true;
                call.pace = pace;
                call.permitDueNanos = now + wait;
                if (wait > 0) {
                    later(() -> awaitPermit(call, permit), wait, permit);
                    return;
                }
            }
            call.permitReserved = false;
            call.lateReservations = 0;
            permit.complete(null);
        } catch (RuntimeException e) {
            permit.completeExceptionally(e);
        }
    }

    /** Records what a failed try means for the next one: the wait, the token's pause, whether to check first. */
    private <T> void failed(Call<T> call, PagerDutyException e) {
        call.lastError = e;
        switch (e.kind()) {
            case RATE_LIMITED -> {
                counter("pdpipeline.notes.rate_limited", "429 answers from PagerDuty", call.operation).increment();
                long waitMs = e.retryAfter() != null ? Math.max(e.retryAfter().toMillis(), 100L)
                        : backoff.apply(Math.max(1, call.transientFailures + 1));
                call.token.pauseUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs));
                log.warn("PagerDuty rate limit hit on {} (token limiter {}); pausing that token for {} ms",
                        call.operation, call.token.name, waitMs);
                call.nextWaitMs = waitMs;
            }
            case TRANSIENT -> {
                call.transientFailures++;
                call.ambiguous = call.ambiguous || e.ambiguous();
                call.nextWaitMs = backoff.apply(call.transientFailures);
                log.info("PagerDuty {} failed (attempt {}), retrying in {} ms: {}", call.operation, call.attempts,
                        call.nextWaitMs, e.getMessage());
            }
            default -> call.nextWaitMs = -1;
        }
    }

    /** Retry's predicate: only 429 and transient failures, only while the next try fits the time budget. */
    private <T> boolean retryable(Call<T> call, Throwable e) {
        if (!(e instanceof PagerDutyException pd) || call.nextWaitMs < 0) {
            return false;
        }
        if (pd.kind() != PagerDutyException.Kind.RATE_LIMITED && pd.kind() != PagerDutyException.Kind.TRANSIENT) {
            return false;
        }
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(call.nextWaitMs) > call.deadlineNanos) {
            call.exhausted = true;
            return false;
        }
        registry.counter("pdpipeline.notes.retries", "operation", call.operation, "reason",
                pd.kind() == PagerDutyException.Kind.RATE_LIMITED ? "rate_limited" : "transient").increment();
        return true;
    }

    private <T> Throwable outcome(Call<T> call, Throwable e) {
        if (call.exhausted && e instanceof PagerDutyException pd) {
            return new RetriesExhaustedException("gave up on " + call.operation + " after " + call.attempts
                    + " attempts in " + maxRetryDuration.toMillis() + " ms; last error: " + pd.getMessage(), pd,
                    call.attempts);
        }
        return e;
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private Counter counter(String name, String description, String operation) {
        return Counter.builder(name).description(description).tag("operation", operation).register(registry);
    }

    private void later(Runnable task, long delayNanos, CompletableFuture<?> onFailure) {
        Executor delayed = CompletableFuture.delayedExecutor(Math.max(1, delayNanos), TimeUnit.NANOSECONDS, executor);
        try {
            delayed.execute(task);
        } catch (RuntimeException e) {
            onFailure.completeExceptionally(new CancellationException("executor closed: " + e));
        }
    }

    /** Stops scheduling retries; calls waiting for their next try are dropped. */
    @Override
    public void close() {
        scheduler.shutdownNow();
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
        volatile boolean ambiguous;
        volatile boolean permitReserved;
        volatile TokenState.Pace pace;
        volatile long permitDueNanos;
        volatile int lateReservations;
        volatile int attempts;
        volatile int transientFailures;
        /** The wait before the next try, set by the failed one; -1: not to be retried. */
        volatile long nextWaitMs = -1;
        volatile boolean exhausted;
        volatile PagerDutyException lastError;

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
