package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.console.ConsoleConfig;
import dev.pdpipeline.console.ConsoleService;
import dev.pdpipeline.launcher.console.ConsoleActions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/pipeline console}: the operator console against any Kafka cluster. */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {"Run the operator web console: recent deliveries, each incident's timeline, dead letters,"
                + " the Triggers in force; replay and re-drive with CONSOLE_ADMIN_TOKEN (docs/console.md).",
            "Configured by environment variables: CONSOLE_HOST (default 127.0.0.1), CONSOLE_PORT (default 8090),"
                + " CONSOLE_ADMIN_TOKEN (unset: actions disabled), CONSOLE_MAX_DELIVERIES, CONSOLE_MAX_INCIDENTS,"
                + " CONSOLE_MAX_DEAD_LETTERS, KAFKA_BOOTSTRAP_SERVERS, KAFKA_*, TRIGGERS_PATH and the topic variables"
                + " (RAW_TOPIC, DECISIONS_TOPIC, ...)."})
public final class ConsoleCommand implements Callable<Integer> {

    @Option(names = "--host", description = "Interface to bind (overrides CONSOLE_HOST, default 127.0.0.1).")
    String host;

    @Option(names = "--port", description = "Port (overrides CONSOLE_PORT, default 8090).")
    Integer port;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = Environment.current();
        if (host != null) {
            env.put(ConsoleConfig.CONSOLE_HOST, host);
        }
        if (port != null) {
            env.put(ConsoleConfig.CONSOLE_PORT, port.toString());
        }
        ConsoleConfig config = ConsoleConfig.fromEnv(env);
        ConsoleService console = ConsoleActions.startConsole(config, env);
        // a console whose index stopped reading would show stale data as if it were current: exit 1
        // (the launcher's convention), so the supervisor restarts it; the failed part is logged
        return Lifecycle.awaitShutdown(List.of(console), console.health());
    }
}
