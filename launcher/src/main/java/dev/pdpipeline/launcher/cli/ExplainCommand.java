package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.launcher.explain.Explainer;
import dev.pdpipeline.processor.replay.TimeRange;
import dev.pdpipeline.processor.ProcessorConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code bin/pipeline explain}: why each Trigger did or did not route an incident's events, as decided. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Show the events of an incident (or one event) from the raw topic and, per Trigger, what the"
                + " processor decided for each (routed, duplicate, rejected by which field and why, disabled, not"
                + " signed), as recorded on the decisions topic (DECISIONS_TOPIC) under the Triggers in force at the"
                + " time. Records without a recorded decision show, labelled as such, what the current Trigger files"
                + " (TRIGGERS_PATH) would decide. See docs/replay.md.",
            "--incident reads only the incident's partition (all of it unless --since/--from); --event reads every"
                + " partition, so it is bounded by --since (default 7d).",
            "Exit codes: 0 done (also when nothing is found), 1 Kafka failure, 2 usage error, 3 invalid configuration."})
public final class ExplainCommand implements Callable<Integer> {

    static final Duration EVENT_DEFAULT_SINCE = Duration.ofDays(7);

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Subject subject;

    static final class Subject {
        @Option(names = "--incident", paramLabel = "ID", required = true, description = "Incident id.")
        String incident;

        @Option(names = "--event", paramLabel = "ID", required = true, description = "PagerDuty event id (event.id).")
        String event;
    }

    @Option(names = "--since", paramLabel = "AGE", description = "Only records of the last AGE (7d, 12h, 30m).")
    String since;

    @Option(names = "--from", paramLabel = "INSTANT", description = "Only records at or after this ISO-8601 instant or date.")
    String from;

    @Option(names = "--to", paramLabel = "INSTANT", description = "Only records at or before this instant or date.")
    String to;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--current", description = "Also show what the current Trigger files would decide for records"
            + " whose decision is recorded (to see the effect of a changed Trigger).")
    boolean current;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TimeRange range;
        try {
            range = TimeRange.of(since, from, to, subject.event != null ? EVENT_DEFAULT_SINCE : null, Instant.now());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Map<String, String> env = Environment.current();
        ProcessorConfig config = ProcessorConfig.fromEnv(env);
        TriggerSet triggers;
        boolean read = true;
        String configured = env.get(ProcessorConfig.TRIGGERS_PATH);
        if ((configured == null || configured.isBlank()) && !java.nio.file.Files.exists(config.triggersPath())) {
            // the recorded decisions need no Trigger files (e.g. a second terminal beside `bin/pipeline local`)
            spec.commandLine().getErr().println("Note: " + ProcessorConfig.TRIGGERS_PATH + " is not set and "
                    + config.triggersPath() + " does not exist: showing the recorded decisions only; set "
                    + ProcessorConfig.TRIGGERS_PATH + " to compare with the current Trigger files.");
            triggers = TriggerSet.empty();
            read = false;
        } else {
            triggers = new TriggerLoader(env).load(config.triggersPath());
        }
        Explainer explainer = new Explainer(config, triggers, read);
        try {
            Explainer.Result result = subject.incident != null ? explainer.byIncident(subject.incident, range)
                    : explainer.byEvent(subject.event, range);
            if (json) {
                out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(explainer.toJson(result)));
                out.flush();
            } else {
                explainer.printText(result, subject.incident != null ? "Incident " + subject.incident
                        : "Event " + subject.event, current, out);
            }
            return 0;
        } catch (KafkaException | IllegalStateException e) {
            spec.commandLine().getErr().println("Explain failed: " + e.getMessage());
            return 1;
        }
    }
}
