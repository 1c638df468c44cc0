package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.management.ManagementServer;
import dev.pdpipeline.common.management.MeterRegistries;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a service until the JVM is asked to stop (Ctrl-C, SIGTERM from Docker) or one of its parts
 * fails for good, then closes the given resources in order.
 *
 * <p>On SIGTERM in-flight webhooks finish and producers flush before the JVM exits. When a part
 * reports a permanent failure to the process's {@link Health} (Kafka Streams in {@code ERROR}, a
 * dead consumer thread, a fenced producer...), the process logs an ERROR naming the part, closes
 * what it can within {@link #FAILURE_CLOSE_BUDGET} and exits with {@link #EXIT_PART_FAILED}, so an
 * orchestrator restarts it instead of leaving a process that looks alive and does nothing. A
 * watchdog halts the JVM {@link #FAILURE_EXIT_DEADLINE} after the failure whatever still hangs.
 */
final class Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);
    private static final long CLOSE_BUDGET_SECONDS = 30;

    /** Exit status after a part failed for good (the launcher's "runtime failure"). */
    static final int EXIT_PART_FAILED = 1;
    /** How long closing may take after a part failed. */
    static final Duration FAILURE_CLOSE_BUDGET = Duration.ofSeconds(20);
    /** Least time /health/live answers 503 before the process exits, so probes can see why. */
    static final Duration FAILURE_LINGER = Duration.ofSeconds(2);
    /** The JVM is gone at the latest this long after a part failed. */
    static final Duration FAILURE_EXIT_DEADLINE = Duration.ofSeconds(28);

    private Lifecycle() {
    }

    /**
     * Runs one service until shutdown or failure: starts it with a fresh Prometheus registry and
     * the process's health, serves health and metrics for it on the management port, then
     * closes the management server first (so probes see it go) and the service after.
     *
     * @return the exit status: 0 after a requested stop, {@value #EXIT_PART_FAILED} after a failure
     */
    static <S extends AutoCloseable> int serve(String checkName,
            BiFunction<PrometheusMeterRegistry, Health, S> starter, Predicate<S> ready, String managementHost,
            int managementPort) throws InterruptedException {
        PrometheusMeterRegistry registry = MeterRegistries.prometheus();
        Health health = new Health();
        List<AutoCloseable> running = new ArrayList<>();
        try {
            S service = starter.apply(registry, health);
            running.add(service);
            running.add(0, ManagementServer.start(managementHost, managementPort, registry, health)
                    .addReadinessCheck(checkName, () -> ready.test(service)));
        } catch (RuntimeException e) {
            closeAll(running);
            throw e;
        }
        return awaitShutdown(running, health);
    }

    /**
     * Blocks until shutdown is requested or a part of {@code health} fails; closes
     * {@code resources} first to last.
     *
     * @return 0 after a requested stop, {@value #EXIT_PART_FAILED} after a part failed
     */
    static int awaitShutdown(List<? extends AutoCloseable> resources, Health health) throws InterruptedException {
        CountDownLatch wake = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        AtomicReference<Health.Failure> failure = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            wake.countDown();
            try {
                if (!closed.await(CLOSE_BUDGET_SECONDS, TimeUnit.SECONDS)) {
                    LOG.warn("Shutdown did not finish within {} s", CLOSE_BUDGET_SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pipeline-shutdown"));
        health.onFailure(f -> {
            failure.compareAndSet(null, f);
            wake.countDown();
        });
        wake.await();
        Health.Failure failed = failure.get();
        if (failed == null) {
            LOG.info("Stopping");
            closeAll(resources);
            closed.countDown();
            return 0;
        }
        startWatchdog(failed);
        LOG.error("Part {} failed for good ({}): closing within {} s and exiting with status {}", failed.part(),
                failed.reason(), FAILURE_CLOSE_BUDGET.toSeconds(), EXIT_PART_FAILED);
        // the services first, the management server last: /health/live keeps answering 503 (and
        // naming the part) while the rest closes, at least FAILURE_LINGER
        List<AutoCloseable> services = new ArrayList<>();
        List<AutoCloseable> endpoints = new ArrayList<>();
        for (AutoCloseable r : resources) {
            (r instanceof ManagementServer ? endpoints : services).add(r);
        }
        long start = System.nanoTime();
        if (!closeWithin(services, FAILURE_CLOSE_BUDGET)) {
            LOG.warn("Closing did not finish within {} s; exiting anyway", FAILURE_CLOSE_BUDGET.toSeconds());
        }
        long lingerLeft = FAILURE_LINGER.toNanos() - (System.nanoTime() - start);
        if (lingerLeft > 0) {
            new CountDownLatch(1).await(lingerLeft, TimeUnit.NANOSECONDS);
        }
        closeAll(endpoints);
        closed.countDown();
        return EXIT_PART_FAILED;
    }

    /** Closes on a thread of its own; whether it finished within {@code budget}. */
    static boolean closeWithin(List<? extends AutoCloseable> resources, Duration budget) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        Thread closer = new Thread(() -> {
            try {
                closeAll(resources);
            } finally {
                done.countDown();
            }
        }, "pipeline-close");
        closer.setDaemon(true);
        closer.start();
        return done.await(budget.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Halts the JVM should closing or the shutdown hooks hang past the deadline. */
    private static void startWatchdog(Health.Failure failed) {
        CountDownLatch never = new CountDownLatch(1);
        Thread watchdog = new Thread(() -> {
            try {
                if (!never.await(FAILURE_EXIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.error("Still running {} s after part {} failed; halting with status {}",
                            FAILURE_EXIT_DEADLINE.toSeconds(), failed.part(), EXIT_PART_FAILED);
                    Runtime.getRuntime().halt(EXIT_PART_FAILED);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pipeline-exit-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** Closes first to last; one failure does not stop the others from closing. */
    static void closeAll(List<? extends AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("Error while closing {}: {}", resource.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
