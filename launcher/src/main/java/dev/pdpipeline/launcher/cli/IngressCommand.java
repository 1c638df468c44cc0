package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.management.ManagementServer;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code bin/pipeline ingress}: the webhook receiver alone, against any Kafka. */
@Command(name = "ingress", mixinStandardHelpOptions = true,
        description = {"Run the ingress alone: receive PagerDuty V3 webhooks, verify signatures,"
                + " publish to the raw topic.",
            "Configured by environment variables: KAFKA_BOOTSTRAP_SERVERS, TRIGGERS_PATH, INGRESS_PORT,"
                + " MANAGEMENT_PORT, RAW_TOPIC, MAX_BODY_BYTES, PUBLISH_TIMEOUT_MS, KAFKA_* (see docs/configuration.md)."})
public final class IngressCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = Environment.current();
        IngressConfig config = IngressConfig.fromEnv(env);
        PrometheusMeterRegistry registry = MeterRegistries.prometheus();
        List<AutoCloseable> running = new ArrayList<>();
        try {
            IngressService ingress = IngressService.start(config, registry);
            running.add(ingress);
            ManagementServer management = ManagementServer.start(config.managementHost(), config.managementPort(), registry)
                    .addReadinessCheck("ingress", ingress::isReady);
            running.add(0, management);
        } catch (RuntimeException e) {
            Lifecycle.closeAll(running);
            throw e;
        }
        Lifecycle.awaitShutdown(running);
        return 0;
    }
}
