package dev.pdpipeline.processor;

import dev.pdpipeline.common.management.ManagementServer;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.common.trigger.TriggerConfigException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor as a process of its own (one container), configured by environment variables:
 * the service plus the management endpoints with readiness check {@code streams}. Exits 2 on a
 * configuration error and 1 when Kafka Streams fails (so the orchestrator restarts it); on
 * SIGTERM a shutdown hook closes Streams cleanly (the JVM then reports 143, as for any SIGTERM).
 */
public final class ProcessorMain {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorMain.class);
    private static final long FAILURE_CHECK_MS = 1_000;

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
            return 2;
        }
        PrometheusMeterRegistry registry = MeterRegistries.prometheus();
        ProcessorService service;
        try {
            service = ProcessorService.start(config, registry);
        } catch (TriggerConfigException e) {
            LOG.error("Invalid triggers: {}", e.getMessage());
            return 2;
        } catch (IllegalArgumentException e) {
            LOG.error("Cannot start the processor: {}", e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            LOG.error("Cannot start the processor", e);
            return 1;
        }
        ManagementServer management;
        try {
            management = ManagementServer.start(config.managementHost(), config.managementPort(), registry)
                    .addReadinessCheck("streams", service::isReady);
        } catch (RuntimeException e) {
            LOG.error("Cannot start the management endpoints: {}", e.getMessage());
            service.close();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            LOG.info("Shutting down the processor");
            management.close();
            service.close();
            stopped.countDown();
        }, "processor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            while (!stopped.await(FAILURE_CHECK_MS, TimeUnit.MILLISECONDS)) {
                if (service.hasFailed()) {
                    LOG.error("Kafka Streams is {}; exiting so the processor is restarted", service.state());
                    return 1; // System.exit runs the hook, which closes everything
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
