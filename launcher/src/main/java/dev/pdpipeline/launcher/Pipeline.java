package dev.pdpipeline.launcher;

import dev.pdpipeline.launcher.cli.AgentsCommand;
import dev.pdpipeline.launcher.cli.ConsoleCommand;
import dev.pdpipeline.launcher.cli.ExampleAgentCommand;
import dev.pdpipeline.launcher.cli.ExplainCommand;
import dev.pdpipeline.launcher.cli.IngressCommand;
import dev.pdpipeline.launcher.cli.LocalCommand;
import dev.pdpipeline.launcher.cli.ProcessorCommand;
import dev.pdpipeline.launcher.cli.ReplayCommand;
import dev.pdpipeline.launcher.cli.SendTestEventCommand;
import dev.pdpipeline.launcher.cli.TopicsCommand;
import dev.pdpipeline.launcher.cli.TriggersCommand;
import dev.pdpipeline.launcher.cli.VersionProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bin/pipeline} command: one entry point for every way of running the pipeline.
 *
 * <p>Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 invalid configuration.
 */
@Command(
        name = "pipeline",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "PagerDuty incident events to Kafka, routed to agents; agents' answers back to PagerDuty.",
            "Every subcommand reads the same environment variables (see docs/configuration.md)."
        },
        subcommands = {
            LocalCommand.class,
            IngressCommand.class,
            ProcessorCommand.class,
            ExampleAgentCommand.class,
            dev.pdpipeline.launcher.dlq.DlqCommand.class,
            dev.pdpipeline.launcher.pagerduty.PagerDutyCommand.class,
            SendTestEventCommand.class,
            ReplayCommand.class,
            ExplainCommand.class,
            TriggersCommand.class,
            TopicsCommand.class,
            AgentsCommand.class,
            ConsoleCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:runtime failure (a part of a running service failed for good; Kafka not reachable in time)",
            "2:usage error (unknown option, bad argument)",
            "3:invalid configuration (environment variable or Trigger file)"
        })
public final class Pipeline implements Runnable {

    /** Exit code for an invalid configuration. */
    public static final int EXIT_CONFIG = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command line, so tests can run it without exiting the JVM. */
    public static CommandLine commandLine() {
        return new CommandLine(new Pipeline())
                .setExecutionExceptionHandler(new ConfigErrorHandler());
    }

    /** {@code LOG_FORMAT}: {@code text} (default) or {@code json}, one JSON object per line (logback.xml). */
    public static final String LOG_FORMAT_ENV = "LOG_FORMAT";

    public static void main(String[] args) {
        // checked before the first logger exists: an unknown format would select no appender
        String format = System.getenv(LOG_FORMAT_ENV);
        if (format != null && !format.isBlank() && !format.equals("text") && !format.equals("json")) {
            System.err.println("Configuration error: " + LOG_FORMAT_ENV + " must be text or json, got '" + format + "'");
            System.exit(EXIT_CONFIG);
        }
        System.exit(commandLine().execute(args));
    }
}
