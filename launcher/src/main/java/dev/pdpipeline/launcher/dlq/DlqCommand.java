package dev.pdpipeline.launcher.dlq;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.config.KafkaClientProperties;
import dev.pdpipeline.common.deadletter.DeadLetter;
import dev.pdpipeline.common.deadletter.DeadLetterFilter;
import dev.pdpipeline.common.deadletter.DeadLetterTopic;
import dev.pdpipeline.common.deadletter.DeadLetters;
import dev.pdpipeline.common.deadletter.MissingDeadLetterTopicException;
import dev.pdpipeline.common.deadletter.RedriveReport;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.launcher.InvalidSettingException;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.processor.replay.TimeRange;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bin/pipeline dlq}: look at and re-drive the two dead-letter topics. */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = {"Look at and re-drive the dead-letter topics: raw deliveries the processor could not route"
                + " (--topic raw: DLQ_TOPIC, default pagerduty.webhooks.dlq) and agent results the notes writer"
                + " could not write (--topic results: RESULTS_DLQ_TOPIC, default agent.results.dlq).",
            "Reads KAFKA_BOOTSTRAP_SERVERS, KAFKA_* and the topic variables (docs/configuration.md). See docs/operations.md.",
            "Exit codes: 0 done (also when there was nothing to do), 1 Kafka failure or entry not found,"
                + " 2 usage error, 3 invalid configuration."},
        subcommands = {DlqCommand.ListCommand.class, DlqCommand.ShowCommand.class, DlqCommand.RedriveCommand.class,
            CommandLine.HelpCommand.class})
public final class DlqCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The options every dlq subcommand shares. */
    static final class Selection {

        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        @Option(names = "--reason", paramLabel = "CODE", description = "Only entries with this dead-letter reason (e.g. not_json, pagerduty_rejected).")
        String reason;

        @Option(names = "--incident", paramLabel = "ID", description = "Only entries of this incident.")
        String incident;

        @Option(names = "--since", paramLabel = "AGE|INSTANT", description = "Only entries dead-lettered in the last AGE (7d, 12h, 30m) or since an ISO-8601 instant or date.")
        String since;

        @Option(names = "--json", description = "One JSON object per line instead of text.")
        boolean json;

        DeadLetterFilter filter(Instant now) {
            Instant start = null;
            if (since != null) {
                try {
                    start = since.trim().matches("\\d+[dhmsDHMS]") ? now.minus(TimeRange.parseSince(since))
                            : TimeRange.parseInstant("--since", since);
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), "--since must be an age (7d, 12h, 30m, 45s) or an"
                            + " ISO-8601 instant or date, got '" + since + "'");
                }
            }
            return new DeadLetterFilter(blankToNull(reason), blankToNull(incident), start);
        }
    }

    static DeadLetters deadLetters(Map<String, String> env) {
        return new DeadLetters(KafkaClientProperties.fromEnv(env), catalogue(env));
    }

    static TopicCatalogue catalogue(Map<String, String> env) {
        try {
            return TopicCatalogue.fromEnv(env);
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(e.getMessage());
        }
    }

    static List<DeadLetterTopic> kinds(DeadLetterTopic chosen) {
        return chosen == null ? List.of(DeadLetterTopic.RAW, DeadLetterTopic.RESULTS) : List.of(chosen);
    }

    static DeadLetterTopic parseTopic(CommandSpec spec, String label) {
        if (label == null) {
            return null;
        }
        try {
            return DeadLetterTopic.parse(label);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--topic must be raw or results, got '" + label + "'");
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    static int kafkaFailure(PrintWriter err, String what, RuntimeException e) {
        err.println(what + " failed: " + e.getMessage());
        return 1;
    }

    // ---------------------------------------------------------------- list

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List dead letters: time, topic partition/offset, reason, incident, where the record came from"
                    + " (source topic-partition@offset), whether it was re-driven, and the detail.",
                "Without --topic both dead-letter topics are listed (one that does not exist yet is skipped, with a note).",
                "Exit codes: 0 listed (also none), 1 Kafka failure or the topic does not exist, 2 usage error,"
                    + " 3 invalid configuration."})
    static final class ListCommand implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        Selection selection;

        @Option(names = "--topic", paramLabel = "raw|results", description = "Which dead-letter topic; default both.")
        String topic;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            DeadLetterTopic chosen = parseTopic(spec, topic);
            DeadLetterFilter filter = selection.filter(Instant.now());
            Map<String, String> env = Environment.current();
            DeadLetters dlq = deadLetters(env);
            try {
                Set<String> redriven = dlq.redriven();
                int total = 0;
                for (DeadLetterTopic kind : kinds(chosen)) {
                    List<DeadLetter> entries;
                    try {
                        entries = dlq.list(kind, filter);
                    } catch (MissingDeadLetterTopicException e) {
                        if (chosen != null) {
                            throw e;
                        }
                        err.println("skipped: " + e.getMessage());
                        continue;
                    }
                    total += entries.size();
                    for (DeadLetter e : entries) {
                        boolean wasRedriven = redriven.contains(e.id());
                        if (selection.json) {
                            out.println(e.summaryJson().put("redriven", wasRedriven));
                        } else {
                            out.printf("%s  %-7s %s/%d/%d  %-22s incident %-16s source %s  %s%n    %s%n", e.time(),
                                    kind.label(), e.topic(), e.partition(), e.offset(), e.reason(),
                                    e.incident() == null ? "-" : e.incident(), source(e),
                                    wasRedriven ? "re-driven" : "not re-driven",
                                    e.summaryJson().path("detail").asText(""));
                        }
                    }
                }
                if (!selection.json) {
                    err.println(total + " dead letter(s)" + (filter.isEmpty() ? "" : " matching"));
                }
                out.flush();
                return 0;
            } catch (KafkaException | IllegalStateException e) {
                return kafkaFailure(err, "dlq list", e);
            }
        }
    }

    static String source(DeadLetter e) {
        return (e.sourceTopic() == null ? "?" : e.sourceTopic()) + "-" + (e.sourcePartition() == null ? "?"
                : e.sourcePartition()) + "@" + (e.sourceOffset() == null ? "?" : e.sourceOffset());
    }

    // ---------------------------------------------------------------- show

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Show dead letters in full: every header, the complete detail and the record's value.",
                "ENTRY is PARTITION/OFFSET (with --topic) or DLQ_TOPIC/PARTITION/OFFSET, as `dlq list` prints it;"
                    + " without ENTRY every matching entry is shown.",
                "Exit codes: 0 shown, 1 Kafka failure or no such entry, 2 usage error, 3 invalid configuration."})
    static final class ShowCommand implements Callable<Integer> {

        private static final Pattern ENTRY = Pattern.compile("(?:([A-Za-z0-9._-]+)/)?(\\d+)/(\\d+)");

        @Spec
        CommandSpec spec;

        @Mixin
        Selection selection;

        @Option(names = "--topic", paramLabel = "raw|results", description = "Which dead-letter topic; default both.")
        String topic;

        @Parameters(arity = "0..1", paramLabel = "ENTRY", description = "PARTITION/OFFSET or DLQ_TOPIC/PARTITION/OFFSET.")
        String entry;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            DeadLetterTopic chosen = parseTopic(spec, topic);
            DeadLetterFilter filter = selection.filter(Instant.now());
            Map<String, String> env = Environment.current();
            TopicCatalogue topics = catalogue(env);
            String wantedTopic = null;
            Integer partition = null;
            Long offset = null;
            if (entry != null) {
                Matcher m = ENTRY.matcher(entry.trim());
                if (!m.matches()) {
                    throw new ParameterException(spec.commandLine(), "ENTRY must be PARTITION/OFFSET or"
                            + " DLQ_TOPIC/PARTITION/OFFSET, got '" + entry + "'");
                }
                wantedTopic = m.group(1);
                partition = Integer.valueOf(m.group(2));
                offset = Long.valueOf(m.group(3));
                if (wantedTopic != null && chosen == null) {
                    for (DeadLetterTopic kind : DeadLetterTopic.values()) {
                        if (kind.deadLetterTopic(topics).equals(wantedTopic)) {
                            chosen = kind;
                        }
                    }
                    if (chosen == null) {
                        throw new ParameterException(spec.commandLine(), wantedTopic + " is not a dead-letter topic ("
                                + topics.deadLetter() + ", " + topics.resultsDeadLetter() + ")");
                    }
                } else if (chosen == null) {
                    throw new ParameterException(spec.commandLine(), "give --topic raw|results with PARTITION/OFFSET");
                }
            }
            DeadLetters dlq = deadLetters(env);
            try {
                Set<String> redriven = dlq.redriven();
                List<DeadLetter> shown = new ArrayList<>();
                for (DeadLetterTopic kind : kinds(chosen)) {
                    for (DeadLetter e : dlq.list(kind, filter)) {
                        if (partition == null || e.partition() == partition && e.offset() == offset) {
                            shown.add(e);
                        }
                    }
                }
                if (entry != null && shown.isEmpty()) {
                    err.println("No dead letter " + DeadLetter.id(chosen.deadLetterTopic(topics), partition, offset)
                            + (filter.isEmpty() ? "" : " matching the filters"));
                    return 1;
                }
                for (DeadLetter e : shown) {
                    ObjectNode json = e.fullJson().put("redriven", redriven.contains(e.id()));
                    out.println(selection.json ? json.toString() : Json.mapper().writerWithDefaultPrettyPrinter()
                            .writeValueAsString(json));
                }
                out.flush();
                return 0;
            } catch (KafkaException | IllegalStateException e) {
                return kafkaFailure(err, "dlq show", e);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // ---------------------------------------------------------------- redrive

    @Command(name = "redrive", mixinStandardHelpOptions = true,
            description = {"Send dead letters back where they came from, after the cause is fixed: raw deliveries to the"
                    + " raw topic (the processor's dedup routes them only to the Triggers that did not take them),"
                    + " results to the results topic (the notes writer's ledger writes each once).",
                "Without filters every entry of the topic is re-driven, without asking. Each re-driven entry is"
                    + " recorded on REDRIVES_TOPIC (default pdpipeline.redrives, compacted), in the same transaction,"
                    + " so running it again re-drives nothing twice.",
                "Exit codes: 0 done (also when everything was re-driven before), 1 Kafka failure, 2 usage error,"
                    + " 3 invalid configuration."})
    static final class RedriveCommand implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        Selection selection;

        @Option(names = "--topic", required = true, paramLabel = "raw|results", description = "Which dead-letter topic (required).")
        String topic;

        @Option(names = "--dry-run", description = "Print what would be re-driven; send nothing.")
        boolean dryRun;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            DeadLetterTopic kind = parseTopic(spec, topic);
            DeadLetterFilter filter = selection.filter(Instant.now());
            Map<String, String> env = Environment.current();
            DeadLetters dlq = deadLetters(env);
            RedriveReport report;
            try {
                report = dlq.redrive(kind, filter, dryRun);
            } catch (KafkaException | IllegalStateException e) {
                return kafkaFailure(err, "dlq redrive", e);
            }
            String dlqTopic = kind.deadLetterTopic(catalogue(env));
            if (selection.json) {
                ObjectNode json = Json.mapper().createObjectNode();
                json.put("dlq", kind.label());
                json.put("topic", dlqTopic);
                json.put("target", report.target());
                json.put("dry_run", report.dryRun());
                report.redriven().forEach(e -> json.withArray("redriven").add(e.id()));
                json.withArray("redriven");
                report.alreadyRedriven().forEach(e -> json.withArray("already_redriven").add(e.id()));
                json.withArray("already_redriven");
                out.println(json);
            } else {
                for (DeadLetter e : report.redriven()) {
                    out.printf("%s %s (%s, incident %s) -> %s%n", dryRun ? "would re-drive" : "re-drove", e.id(),
                            e.reason(), e.incident() == null ? "-" : e.incident(), report.target());
                }
                if (report.redriven().isEmpty() && report.alreadyRedriven().isEmpty()) {
                    out.println("No dead letters" + (filter.isEmpty() ? "" : " match") + " in " + dlqTopic
                            + ": nothing to re-drive.");
                } else if (report.redriven().isEmpty()) {
                    out.println("Nothing to re-drive: all " + report.alreadyRedriven().size() + " matching entries of "
                            + dlqTopic + " were re-driven before.");
                } else {
                    out.println((dryRun ? "Would re-drive " : "Re-drove ") + report.redriven().size() + " entries of "
                            + dlqTopic + " to " + report.target()
                            + (report.alreadyRedriven().isEmpty() ? "" : "; " + report.alreadyRedriven().size()
                                    + " re-driven before, skipped") + ".");
                }
            }
            out.flush();
            return 0;
        }
    }
}
