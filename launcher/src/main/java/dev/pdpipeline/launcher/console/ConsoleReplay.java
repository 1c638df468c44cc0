package dev.pdpipeline.launcher.console;

import dev.pdpipeline.common.trigger.TriggerConfigException;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.console.action.ActionException;
import dev.pdpipeline.console.action.ReplayAction;
import dev.pdpipeline.processor.replay.Replayer;
import dev.pdpipeline.processor.replay.TimeRange;
import dev.pdpipeline.processor.ProcessorConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's replay button: {@code bin/pipeline replay --incident ID --trigger NAME} with the
 * Trigger files as they are now, through the same {@link Replayer}. One replay at a time.
 */
public final class ConsoleReplay implements ReplayAction {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleReplay.class);

    private final ProcessorConfig config;
    private final Map<String, String> env;

    public ConsoleReplay(ProcessorConfig config, Map<String, String> env) {
        this.config = Objects.requireNonNull(config, "config");
        this.env = Map.copyOf(env);
    }

    @Override
    public synchronized Result replay(String incidentId, String trigger) {
        if (incidentId == null || !incidentId.matches("[A-Za-z0-9_-]{1,100}")) {
            throw new ActionException(400, "incident id must be letters, digits, '_' and '-'");
        }
        TriggerSet triggers;
        try {
            triggers = new TriggerLoader(env).load(config.triggersPath());
        } catch (TriggerConfigException e) {
            throw new ActionException(409, "the Trigger files are invalid now: " + e.getMessage());
        }
        if (triggers.byName(trigger).isEmpty()) {
            throw new ActionException(404, "trigger '" + trigger + "' is not in the Trigger files");
        }
        Replayer.Options options = new Replayer.Options(Set.of(incidentId), null, trigger, TimeRange.ALL, null,
                false, false, Replayer.newReplayId(Instant.now()), 10_000);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Replayer.Report report;
        try {
            report = new Replayer(config, triggers, new PrintWriter(out), new PrintWriter(err)).run(options);
        } catch (dev.pdpipeline.processor.replay.ReplaySettingException e) {
            // e.g. the raw topic is missing: the replay cannot run as configured, not the caller's fault
            throw new ActionException(409, e.getMessage());
        }
        LOG.info("Console replay output:\n{}{}", out, err);
        return new Result(report.replayId(), report.scanned(), report.matched(), report.sent());
    }
}
