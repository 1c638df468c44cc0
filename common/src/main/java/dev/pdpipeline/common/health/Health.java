package dev.pdpipeline.common.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where every long-running part of a process (Kafka Streams, a consumer thread,
 * a compacted-topic reader, a producer, an HTTP server) says whether it still works.
 *
 * <p>A part that stopped for good calls {@link Part#failed}; the first such failure is kept,
 * {@code /health/live} reports it and the launcher exits with status 1, so a dead part never
 * leaves a process that looks alive. Transient trouble (a rebalance, a broker briefly away) is
 * {@link Part#degraded}: it shows on the health page but never ends the process.
 */
public final class Health {

    private static final Logger LOG = LoggerFactory.getLogger(Health.class);

    /** Gauge per part, tag {@code part}: 1 up, 0.5 degraded, 0 failed. */
    public static final String PART_GAUGE = "pdpipeline.health.part";
    /** Gauge: 1 while the process is live. */
    public static final String LIVE_GAUGE = "pdpipeline.health.live";

    /** What a part says of itself. */
    public enum State { UP, DEGRADED, FAILED }

    /** A part's current state and why; {@code reason} is empty when {@code UP}. */
    public record Status(State state, String reason, Instant since) {
    }

    /** The first permanent failure of a part. Reasons never carry secrets: they are shown on pages. */
    public record Failure(String part, String reason, Instant at) {
        @Override
        public String toString() {
            return part + " failed at " + at + ": " + reason;
        }
    }

    private final Clock clock;
    private final Map<String, Status> parts = new LinkedHashMap<>();
    private final List<Consumer<Failure>> listeners = new CopyOnWriteArrayList<>();
    private final List<MeterRegistry> registries = new ArrayList<>();
    private Failure firstFailure;

    public Health() {
        this(Clock.systemUTC());
    }

    public Health(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Registers a part, {@code UP} until it says otherwise.
     *
     * @param name short, stable and unique within the process, e.g. {@code kafka-streams}
     */
    public Part register(String name) {
        Objects.requireNonNull(name, "name");
        List<MeterRegistry> bound;
        synchronized (this) {
            if (parts.containsKey(name)) {
                throw new IllegalArgumentException("health part already registered: " + name);
            }
            parts.put(name, new Status(State.UP, "", clock.instant()));
            bound = List.copyOf(registries);
        }
        bound.forEach(r -> partGauge(r, name));
        return new Part(name);
    }

    /** Every registered part with its state, in registration order. */
    public synchronized Map<String, Status> parts() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parts));
    }

    /**
     * Exports {@value #PART_GAUGE} per part (1 up, 0.5 degraded, 0 failed) and {@value #LIVE_GAUGE}
     * (1 live, 0 not), for parts registered before and after this call.
     */
    public Health bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        List<String> existing;
        synchronized (this) {
            if (registries.contains(registry)) {
                return this;
            }
            registries.add(registry);
            existing = List.copyOf(parts.keySet());
        }
        Gauge.builder(LIVE_GAUGE, this, h -> h.isLive() ? 1 : 0)
                .description("1 while no part of the process has failed for good, else 0 (the process exits)")
                .register(registry);
        existing.forEach(name -> partGauge(registry, name));
        return this;
    }

    private void partGauge(MeterRegistry registry, String name) {
        Gauge.builder(PART_GAUGE, this, h -> h.value(name))
                .description("Health of one long-running part: 1 up, 0.5 degraded, 0 failed")
                .tag("part", name)
                .register(registry);
    }

    private synchronized double value(String name) {
        Status status = parts.get(name);
        if (status == null) {
            return Double.NaN;
        }
        return switch (status.state()) {
            case UP -> 1.0;
            case DEGRADED -> 0.5;
            case FAILED -> 0.0;
        };
    }

    /** The first part that failed for good, if any. */
    public synchronized Optional<Failure> failure() {
        return Optional.ofNullable(firstFailure);
    }

    /** Whether no part has failed for good (degraded parts still count as live). */
    public boolean isLive() {
        return failure().isEmpty();
    }

    /**
     * Called once, on the failing part's thread, with the first failure; later failures are
     * logged and recorded per part but do not call listeners again. A listener added after a
     * failure is called at once.
     */
    public void onFailure(Consumer<Failure> listener) {
        Objects.requireNonNull(listener, "listener");
        Failure already;
        synchronized (this) {
            listeners.add(listener);
            already = firstFailure;
        }
        if (already != null) {
            listener.accept(already);
        }
    }

    private void set(String part, State state, String reason) {
        Failure notify = null;
        synchronized (this) {
            Status current = parts.get(part);
            if (current != null && current.state() == State.FAILED) {
                return; // failed is final
            }
            parts.put(part, new Status(state, reason == null ? "" : reason, clock.instant()));
            if (state == State.FAILED && firstFailure == null) {
                firstFailure = new Failure(part, reason, clock.instant());
                notify = firstFailure;
            }
        }
        if (notify != null) {
            LOG.error("Part {} failed for good: {}; the process is no longer live", part, reason);
            for (Consumer<Failure> listener : listeners) {
                try {
                    listener.accept(notify);
                } catch (RuntimeException e) {
                    LOG.warn("Health listener failed: {}", e.toString());
                }
            }
        }
    }

    /** The handle a part reports through. */
    public final class Part {
        private final String name;

        private Part(String name) {
            this.name = name;
        }

        public String name() {
            return name;
        }

        /** Working normally (again). Ignored after {@link #failed}. */
        public void up() {
            set(name, State.UP, "");
        }

        /** Temporarily impaired; the process stays live. */
        public void degraded(String reason) {
            set(name, State.DEGRADED, reason);
        }

        /** Stopped for good: the process is no longer live and will exit. */
        public void failed(String reason) {
            set(name, State.FAILED, reason);
        }

        /** As {@link #failed(String)}, the reason taken from the exception's class and message. */
        public void failed(Throwable cause) {
            failed(describe(cause));
        }

        /**
         * Wraps a thread body: an exception that ends it (or its normal return while {@code
         * stillWanted} says it should run) marks this part failed.
         */
        public Runnable guard(Runnable body, java.util.function.BooleanSupplier stillWanted) {
            return () -> {
                try {
                    body.run();
                    if (stillWanted.getAsBoolean()) {
                        failed("thread " + Thread.currentThread().getName() + " ended while still needed");
                    }
                } catch (Throwable t) {
                    failed(t);
                    throw t;
                }
            };
        }
    }

    /** {@code Class: message}, the message cut to 300 characters. */
    public static String describe(Throwable t) {
        String message = t.getMessage();
        String text = t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }
}
