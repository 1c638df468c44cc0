package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.launcher.agents.AgentsCheck;
import dev.pdpipeline.launcher.agents.AgentsReport;
import dev.pdpipeline.processor.replay.TimeRange;
import dev.pdpipeline.processor.ProcessorConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code bin/pipeline agents}: tools for agent authors. */
@Command(name = "agents", mixinStandardHelpOptions = true,
        description = "Tools for agent authors: what became of the results agents published (docs/agents.md).",
        subcommands = {AgentsCommand.Check.class, CommandLine.HelpCommand.class})
public final class AgentsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code bin/pipeline agents check [--agent NAME] [--since 1h] [--json]}. */
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Read the results topic (RESULTS_TOPIC), its dead-letter topic (RESULTS_DLQ_TOPIC) and"
                    + " the results ledger (RESULTS_LEDGER_TOPIC) and report, per agent: results seen, written,"
                    + " skipped as duplicates, dead-lettered by reason, with the first offending result of each"
                    + " reason and what schemas/result.schema.json says about it. Reads only; commits nothing.",
                "Exit codes: 0 nothing dead-lettered, 1 dead-lettered results found (or Kafka failure),"
                    + " 2 usage error, 3 invalid configuration (a missing topic names its variable)."})
    public static final class Check implements Callable<Integer> {

        static final Duration TIMEOUT = Duration.ofSeconds(30);

        @Spec
        CommandSpec spec;

        @Option(names = "--agent", paramLabel = "NAME", description = "Only this agent (the results' agent field).")
        String agent;

        @Option(names = "--since", paramLabel = "AGE",
                description = "Only results and dead letters of the last AGE (1h, 30m, 7d); default: all retained.")
        String since;

        @Option(names = "--json", description = "Print JSON instead of text.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            TimeRange range;
            try {
                range = TimeRange.of(since, null, null, null, Instant.now());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            if (agent != null && agent.isBlank()) {
                throw new ParameterException(spec.commandLine(), "--agent must not be blank");
            }
            ProcessorConfig config = ProcessorConfig.fromEnv(Environment.current());
            AgentsReport report;
            try {
                report = new AgentsCheck(config.kafkaClientProperties(), config.topics(), TIMEOUT)
                        .check(agent == null ? null : agent.trim(), range);
            } catch (KafkaException | IllegalStateException e) {
                spec.commandLine().getErr().println("Agents check failed: " + e.getMessage());
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report.toJson()));
                out.flush();
            } else {
                report.printText(out);
            }
            return report.anyDeadLettered() ? 1 : 0;
        }
    }
}
