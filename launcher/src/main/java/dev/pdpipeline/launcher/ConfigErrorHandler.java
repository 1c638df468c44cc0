package dev.pdpipeline.launcher;

import dev.pdpipeline.common.trigger.TriggerConfigException;
import dev.pdpipeline.processor.replay.ReplaySettingException;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;

/**
 * Turns configuration errors into one clear line and exit code 3 instead of a stack trace:
 * the message already names the variable, file, trigger or field at fault.
 */
final class ConfigErrorHandler implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult)
            throws Exception {
        Throwable cause = ex;
        while (cause != null) {
            if (cause instanceof TriggerConfigException || cause instanceof ConfigException
                    || cause instanceof InvalidSettingException || cause instanceof ReplaySettingException) {
                cmd.getErr().println(cmd.getColorScheme().errorText("Configuration error: " + cause.getMessage()));
                return Pipeline.EXIT_CONFIG;
            }
            cause = cause.getCause();
        }
        throw ex;
    }
}
