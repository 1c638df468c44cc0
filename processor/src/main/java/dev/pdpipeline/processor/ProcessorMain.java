package dev.pdpipeline.processor;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.management.ManagementServer;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.common.trigger.TriggerConfigException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor as a process of its own (one container), configured by environment variables:
 * the service plus the management endpoints with readiness check {@code streams}. Exit statuses
 * as {@code bin/pipeline}'s: 3 on a configuration error, 1 when a part fails for good (Kafka
 * Streams, the notes writer...), so the orchestrator restarts it; on SIGTERM a shutdown hook
 * closes Streams cleanly (the JVM then reports 143, as for any SIGTERM).
 */
public final class ProcessorMain {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorMain.class);
    /** Exit status for an invalid configuration (as {@code bin/pipeline}). */
    static final int EXIT_CONFIG = 3;
    /** Exit status when the processor cannot start or a part failed for good. */
    static final int EXIT_FAILURE = 1;

    private ProcessorMain() {
    }

    public static void main(String[] args) {
        System.exit(run(System.getenv()));
    }

    /** Runs until SIGTERM or failure; returns the exit status. */
    static int run(Map<String, String> env) {
        ProcessorConfig config;
        try {
            config = ProcessorConfig.fromEnv(env);
        } catch (ConfigException e) {
            LOG.error("Invalid configuration: {}", e.getMessage());
            return EXIT_CONFIG;
        }
        PrometheusMeterRegistry registry = MeterRegistries.prometheus();
        Health health = new Health();
        ProcessorService service;
        try {
            service = ProcessorService.start(config, registry, health);
        } catch (TriggerConfigException | ConfigException e) {
            LOG.error("Invalid configuration: {}", e.getMessage());
            return EXIT_CONFIG;
        } catch (IllegalArgumentException e) {
            LOG.error("Cannot start the processor: {}", e.getMessage());
            return EXIT_CONFIG;
        } catch (RuntimeException e) {
            LOG.error("Cannot start the processor", e);
            return EXIT_FAILURE;
        }
        ManagementServer management;
        try {
            management = ManagementServer.start(config.managementHost(), config.managementPort(), registry, health)
                    .addReadinessCheck("streams", service::isReady);
        } catch (RuntimeException e) {
            LOG.error("Cannot start the management endpoints: {}", e.getMessage());
            service.close();
            return EXIT_FAILURE;
        }
        CountDownLatch failed = new CountDownLatch(1);
        health.onFailure(f -> failed.countDown());
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            LOG.info("Shutting down the processor");
            management.close();
            service.close();
            stopped.countDown();
        }, "processor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Thread waiter = new Thread(() -> {
                try {
                    stopped.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                failed.countDown();
            }, "processor-stop-waiter");
            waiter.setDaemon(true);
            waiter.start();
            failed.await();
            if (stopped.getCount() > 0) {
                LOG.error("{}; exiting with status {} so the processor is restarted",
                        health.failure().map(Object::toString).orElse("a part failed"), EXIT_FAILURE);
                return EXIT_FAILURE; // System.exit runs the hook, which closes everything
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
