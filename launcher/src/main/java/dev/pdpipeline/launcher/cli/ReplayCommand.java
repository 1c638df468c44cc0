package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.replay.Replayer;
import dev.pdpipeline.processor.replay.TimeRange;
import dev.pdpipeline.processor.ProcessorConfig;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code bin/pipeline replay}: re-route raw deliveries through the current Trigger files. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Re-route PagerDuty deliveries already in the raw topic through the current Trigger files"
                + " (TRIGGERS_PATH), e.g. to backfill a new agent. Requests are marked replay: true and carry a"
                + " pdpipeline-replay-id header; their results are not written back to PagerDuty unless --write-back.",
            "Select by --incident (reads only that incident's partition), --service, --trigger and/or a time range"
                + " (record timestamps). See docs/replay.md.",
            "Exit codes: 0 done, 1 Kafka or runtime failure, 2 usage error, 3 invalid configuration."})
public final class ReplayCommand implements Callable<Integer> {

    private static final Pattern LEGAL_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    @Spec
    CommandSpec spec;

    @Option(names = "--incident", paramLabel = "ID", description = "Incident id (repeatable).")
    List<String> incidents = new ArrayList<>();

    @Option(names = "--service", paramLabel = "ID|NAME", description = "Only events of this service (id, or name ignoring case).")
    String service;

    @Option(names = "--trigger", paramLabel = "NAME", description = "Only this Trigger (metadata.name); default: every Trigger.")
    String trigger;

    @Option(names = "--since", paramLabel = "AGE", description = "Records of the last AGE: a number and d, h, m or s (7d, 12h, 30m).")
    String since;

    @Option(names = "--from", paramLabel = "INSTANT", description = "Records at or after this ISO-8601 instant or date (2025-05-14T09:00:00Z, 2025-05-14).")
    String from;

    @Option(names = "--to", paramLabel = "INSTANT", description = "Records at or before this instant or date.")
    String to;

    @Option(names = "--to-topic", paramLabel = "TOPIC", description = "Send every request to this topic instead of the agents' topics.")
    String toTopic;

    @Option(names = "--write-back", description = "Let results answering the replayed requests be written to PagerDuty (default: not).")
    boolean writeBack;

    @Option(names = "--dry-run", description = "Print one line per (event, trigger) that would be sent; send nothing.")
    boolean dryRun;

    @Option(names = "--progress-every", paramLabel = "N", defaultValue = "10000",
            description = "Print progress to stderr every N scanned records (and at least every second); default ${DEFAULT-VALUE}.")
    long progressEvery;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (incidents.isEmpty() && service == null && trigger == null && since == null && from == null && to == null) {
            throw new ParameterException(spec.commandLine(), "Choose what to replay: --incident, --service, --trigger,"
                    + " --since or --from/--to (a replay of the whole raw topic must be asked for, e.g. --since 30d)");
        }
        if (toTopic != null && !LEGAL_TOPIC.matcher(toTopic).matches()) {
            throw new ParameterException(spec.commandLine(), "--to-topic '" + toTopic + "' is not a legal Kafka topic"
                    + " name (letters, digits, '.', '_', '-')");
        }
        if (progressEvery < 1) {
            throw new ParameterException(spec.commandLine(), "--progress-every must be at least 1");
        }
        TimeRange range;
        try {
            range = TimeRange.of(since, from, to, null, Instant.now());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Map<String, String> env = Environment.current();
        ProcessorConfig config = ProcessorConfig.fromEnv(env);
        TriggerSet triggers = new TriggerLoader(env).load(config.triggersPath());
        Replayer.Options options = new Replayer.Options(new LinkedHashSet<>(incidents), service, trigger, range,
                toTopic, writeBack, dryRun, Replayer.newReplayId(Instant.now()), progressEvery);
        try {
            new Replayer(config, triggers, out, err).run(options);
            return 0;
        } catch (KafkaException | IllegalStateException e) {
            err.println("Replay " + options.replayId() + " failed: " + e.getMessage()
                    + " (requests of batches committed before the failure stay sent)");
            return 1;
        }
    }
}
