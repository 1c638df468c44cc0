package dev.pdpipeline.ingress;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.management.ManagementServer;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.common.trigger.TriggerConfigException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the ingress alone, configured by the process environment: the webhook listener on
 * {@code INGRESS_PORT} and health/metrics on {@code MANAGEMENT_PORT}. Stops gracefully on SIGTERM.
 */
public final class IngressMain {

    private static final Logger LOG = LoggerFactory.getLogger(IngressMain.class);

    private IngressMain() {
    }

    public static void main(String[] args) {
        IngressConfig config;
        try {
            config = IngressConfig.fromEnv(System.getenv());
        } catch (ConfigException e) {
            LOG.error("Invalid configuration: {}", e.getMessage());
            System.exit(3);
            return;
        }
        PrometheusMeterRegistry registry = MeterRegistries.prometheus();
        Health health = new Health();
        IngressService service;
        try {
            service = IngressService.start(config, registry, health);
        } catch (TriggerConfigException e) {
            LOG.error("Invalid configuration: {}", e.getMessage());
            System.exit(3);
            return;
        } catch (IllegalStateException e) {
            LOG.error("Cannot start the ingress: {}", e.getMessage());
            System.exit(1);
            return;
        }
        ManagementServer management;
        try {
            management = ManagementServer.start(config.managementHost(), config.managementPort(), registry, health)
                    .addReadinessCheck("kafka", service::isReady);
        } catch (IllegalStateException e) {
            LOG.error("Cannot start the management endpoints: {}", e.getMessage());
            service.close();
            System.exit(1);
            return;
        }
        health.onFailure(f -> {
            LOG.error("{}; exiting with status 1", f);
            Thread exit = new Thread(() -> System.exit(1), "ingress-exit");
            exit.setDaemon(true);
            exit.start(); // the shutdown hook closes what it can
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.close();
                management.close();
            } finally {
                stopped.countDown();
            }
        }, "ingress-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
