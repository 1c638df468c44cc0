package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
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
        IngressConfig config = IngressConfig.fromEnv(Environment.current());
        return Lifecycle.serve("ingress", (registry, health) -> IngressService.start(config, registry, health),
                IngressService::isReady, config.managementHost(), config.managementPort());
    }
}
