package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.management.ManagementServer;
import dev.pdpipeline.common.management.MeterRegistries;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs until the JVM is asked to stop (Ctrl-C, SIGTERM from Docker), then closes the given
 * resources in order, so in-flight webhooks finish and producers flush before the JVM exits.
 */
final class Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);
    private static final long CLOSE_BUDGET_SECONDS = 30;

    private Lifecycle() {
    }

    /**
     * Runs one service until shutdown: starts it with a fresh Prometheus registry, serves health
     * and metrics for it on the management port, then closes the management server first (so
     * probes see it go) and the service after.
     */
    static <S extends AutoCloseable> void serve(String checkName, Function<PrometheusMeterRegistry, S> starter,
            Predicate<S> ready, String managementHost, int managementPort) throws InterruptedException {
        PrometheusMeterRegistry registry = MeterRegistries.prometheus();
        List<AutoCloseable> running = new ArrayList<>();
        try {
            S service = starter.apply(registry);
            running.add(service);
            running.add(0, ManagementServer.start(managementHost, managementPort, registry)
                    .addReadinessCheck(checkName, () -> ready.test(service)));
        } catch (RuntimeException e) {
            closeAll(running);
            throw e;
        }
        awaitShutdown(running);
    }

    /** Blocks until shutdown; closes {@code resources} first to last. */
    static void awaitShutdown(List<? extends AutoCloseable> resources) throws InterruptedException {
        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopRequested.countDown();
            try {
                if (!closed.await(CLOSE_BUDGET_SECONDS, TimeUnit.SECONDS)) {
                    LOG.warn("Shutdown did not finish within {} s", CLOSE_BUDGET_SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pipeline-shutdown"));
        stopRequested.await();
        LOG.info("Stopping");
        closeAll(resources);
        closed.countDown();
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
