package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code bin/pipeline processor}: the Kafka Streams processor alone, against any Kafka. */
@Command(name = "processor", mixinStandardHelpOptions = true,
        description = {"Run the processor alone: filter, deduplicate and route raw events to agent topics,"
                + " and write agents' results to PagerDuty as notes and status changes.",
            "Configured by environment variables: KAFKA_BOOTSTRAP_SERVERS, TRIGGERS_PATH, MANAGEMENT_PORT,"
                + " APPLICATION_ID, STATE_DIR, DEDUP_WINDOW_HOURS, PROCESSING_GUARANTEE, KAFKA_*"
                + " (see docs/configuration.md)."})
public final class ProcessorCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        ProcessorConfig config = ProcessorConfig.fromEnv(Environment.current());
        return Lifecycle.serve("processor", (registry, health) -> ProcessorService.start(config, registry, health),
                ProcessorService::isReady, config.managementHost(), config.managementPort());
    }
}
