package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.management.ManagementServer;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code bin/pipeline processor}: the Kafka Streams processor alone, against any Kafka. */
@Command(name = "processor", mixinStandardHelpOptions = true,
        description = {"Run the processor alone: filter, deduplicate and route raw events to agent topics.",
            "Configured by environment variables: KAFKA_BOOTSTRAP_SERVERS, TRIGGERS_PATH, MANAGEMENT_PORT,"
                + " APPLICATION_ID, STATE_DIR, DEDUP_WINDOW_HOURS, PROCESSING_GUARANTEE, KAFKA_*"
                + " (see docs/configuration.md)."})
public final class ProcessorCommand implements Callable<Integer> {

    /** Host the management endpoints bind to when the processor runs alone. */
    static final String MANAGEMENT_HOST_ENV = "MANAGEMENT_HOST";

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = Environment.current();
        ProcessorConfig config = ProcessorConfig.fromEnv(env);
        PrometheusMeterRegistry registry = MeterRegistries.prometheus();
        List<AutoCloseable> running = new ArrayList<>();
        try {
            ProcessorService processor = ProcessorService.start(config, registry);
            running.add(processor);
            ManagementServer management = ManagementServer.start(
                            env.getOrDefault(MANAGEMENT_HOST_ENV, "0.0.0.0"), config.managementPort(), registry)
                    .addReadinessCheck("processor", processor::isReady);
            running.add(0, management);
        } catch (RuntimeException e) {
            Lifecycle.closeAll(running);
            throw e;
        }
        Lifecycle.awaitShutdown(running);
        return 0;
    }
}
