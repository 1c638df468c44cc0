package dev.pdpipeline.launcher.console;

import dev.pdpipeline.common.deadletter.DeadLetters;
import dev.pdpipeline.console.ConsoleConfig;
import dev.pdpipeline.console.ConsoleService;
import dev.pdpipeline.console.action.ReplayAction;
import dev.pdpipeline.processor.ProcessorConfig;
import java.util.Map;

/** Starts the console with the launcher's implementations of its actions. */
public final class ConsoleActions {

    private ConsoleActions() {
    }

    /**
     * Starts the console; replay needs {@code TRIGGERS_PATH} (the Trigger files replay reads), and
     * both actions need {@code CONSOLE_ADMIN_TOKEN} to be usable.
     */
    public static ConsoleService startConsole(ConsoleConfig config, Map<String, String> env) {
        ReplayAction replay = config.triggersPath() == null ? null : new ConsoleReplay(ProcessorConfig.fromEnv(env), env);
        return ConsoleService.start(config, replay, new ConsoleRedrive(new DeadLetters(config.kafka(), config.topics()), config.topics()));
    }
}
