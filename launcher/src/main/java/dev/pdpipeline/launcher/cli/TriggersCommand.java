package dev.pdpipeline.launcher.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.SkippedDocument;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.launcher.InvalidSettingException;
import dev.pdpipeline.processor.ProcessorConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bin/pipeline triggers}: tools for Trigger files. */
@Command(name = "triggers", mixinStandardHelpOptions = true,
        description = "Tools for Trigger files (AOF PagerDuty Triggers, aof.sh/v1 and aof.dev/v1).",
        subcommands = {TriggersCommand.Validate.class, CommandLine.HelpCommand.class})
public final class TriggersCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code bin/pipeline triggers validate [PATH]}. */
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = {"Load and validate Trigger files the way the services do (${VAR} substituted from the"
                    + " environment; a missing variable is an error) and print the effective configuration."
                    + " Secrets and tokens are masked: the webhook secret is shown by its fingerprint, the one in"
                    + " the pdpipeline-secret-fingerprints header of the deliveries it signed. Every document that"
                    + " is not a PagerDuty Trigger is listed as skipped, with why; fields accepted but not used by"
                    + " this pipeline are listed per trigger.",
                "Exit codes: 0 valid, 3 invalid (the message names file, trigger and field)."})
    public static final class Validate implements Callable<Integer> {

        static final String MASK = "****";

        @Spec
        CommandSpec spec;

        @Parameters(arity = "0..1", paramLabel = "PATH",
                description = "Trigger file or directory of *.yaml/*.yml files (default: TRIGGERS_PATH, else 'triggers').")
        Path path;

        @Option(names = "--json", description = "Print the effective configuration as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Map<String, String> env = Environment.current();
            Path target = path != null ? path
                    : Path.of(env.getOrDefault(ProcessorConfig.TRIGGERS_PATH, ProcessorConfig.DEFAULT_TRIGGERS_PATH));
            TriggerSet set = new TriggerLoader(env).load(target);
            if (set.isEmpty()) {
                StringBuilder b = new StringBuilder(target + ": no Trigger of platform pagerduty found (kind: Trigger with"
                        + " spec.platform.type: pagerduty (aof.sh/v1) or spec.type: PagerDuty (aof.dev/v1))");
                b.append("; ").append(set.skipped().size()).append(" document(s) skipped");
                for (SkippedDocument d : set.skipped()) {
                    b.append(System.lineSeparator()).append("  ").append(d.describe());
                }
                throw new InvalidSettingException(b.toString());
            }
            TopicCatalogue topics = TopicCatalogue.fromEnv(env);
            if (json) {
                out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(set, topics)));
                // stdout stays the documented array of triggers; the skipped documents go to stderr
                set.skipped().forEach(d -> spec.commandLine().getErr().println(d.describe()));
            } else {
                print(set, topics, target, out);
            }
            if (set.enabled().isEmpty()) {
                spec.commandLine().getErr().println("Warning: every trigger is disabled; nothing will be routed");
            }
            out.flush();
            return 0;
        }

        static void print(TriggerSet set, TopicCatalogue topics, Path target, PrintWriter out) {
            out.printf("%s: %d trigger(s), valid (%d enabled); %d document(s) skipped%n", target,
                    set.triggers().size(), set.enabled().size(), set.skipped().size());
            for (Trigger t : set.triggers()) {
                boolean dev = t.isAofDev();
                out.println();
                out.printf("%s%s%n", t.name(), t.namespace() == null ? "" : "  (namespace " + t.namespace() + ")");
                row(out, "file", t.source());
                row(out, "apiVersion", t.apiVersion());
                if (dev) {
                    out.printf("  %-17s%n", "commands:");
                    t.commands().forEach((type, to) -> out.printf("    %-30s -> %s  (topic %s)%n", type, to,
                            topics.agentTopic(to.name())));
                    row(out, "default_agent", t.defaultAgent() == null
                            ? "(none: event types without a command are not routed)"
                            : t.defaultAgent() + "  -> topic " + topics.agentTopic(t.defaultAgent()));
                } else {
                    row(out, "agent", t.agent() + "  -> topic " + topics.agentTopic(t.agent()));
                }
                row(out, "enabled", t.enabled());
                row(out, "webhook_secret", MASK + "  (fingerprint " + t.secretFingerprint() + ")");
                row(out, dev ? "api_key" : "api_token", t.apiToken() == null ? "(not set)" : MASK);
                row(out, "bot_name", t.botName());
                row(out, "from_email", t.fromEmail() == null ? "(not set)" : t.fromEmail());
                row(out, dev ? "events" : "event_types", t.eventTypes().isEmpty() ? "(every type)" : t.eventTypes());
                row(out, dev ? "service_ids" : "allowed_services",
                        t.allowedServices().isEmpty() ? "(any)" : t.allowedServices());
                row(out, "allowed_teams", t.allowedTeams().isEmpty() ? "(any)" : t.allowedTeams());
                row(out, "min_priority", t.minPriority() == null ? "(none)" : t.minPriority());
                row(out, "min_urgency", t.minUrgency() == null ? "(none)" : lower(t.minUrgency()));
                row(out, "filter", t.filter().isEmpty() ? "(none)" : t.filter());
                row(out, "parameters", t.parameters());
                for (String n : t.notUsed()) {
                    out.printf("  note: %s%n", n);
                }
            }
            if (!set.skipped().isEmpty()) {
                out.println();
                out.printf("Skipped %d document(s) (not PagerDuty Triggers):%n", set.skipped().size());
                set.skipped().forEach(d -> out.printf("  %s%n", d.describe()));
            }
        }

        static ArrayNode toJson(TriggerSet set, TopicCatalogue topics) {
            ArrayNode array = Json.mapper().createArrayNode();
            for (Trigger t : set.triggers()) {
                ObjectNode o = array.addObject();
                o.put("name", t.name());
                o.put("namespace", t.namespace());
                o.put("file", t.source() == null ? null : t.source().toString());
                o.put("agent", t.agent());
                o.put("topic", topics.agentTopic(t.agent()));
                o.put("enabled", t.enabled());
                o.put("webhook_secret", MASK);
                o.put("secret_fingerprint", t.secretFingerprint());
                o.put("api_token", t.apiToken() == null ? null : MASK);
                o.put("bot_name", t.botName());
                o.put("from_email", t.fromEmail());
                strings(o.putArray("event_types"), t.eventTypes());
                strings(o.putArray("allowed_services"), t.allowedServices());
                strings(o.putArray("allowed_teams"), t.allowedTeams());
                o.put("min_priority", t.minPriority() == null ? null : t.minPriority().name());
                o.put("min_urgency", t.minUrgency() == null ? null : lower(t.minUrgency()));
                ObjectNode filter = o.putObject("filter");
                t.filter().forEach((k, v) -> strings(filter.putArray("metadata." + k), v));
                o.set("parameters", t.parameters());
                o.put("api_version", t.apiVersion());
                ArrayNode targets = o.putArray("targets");
                t.targets().forEach(target -> target(targets.addObject(), target, topics));
                ObjectNode commands = o.putObject("commands");
                t.commands().forEach((type, target) -> target(commands.putObject(type), target, topics));
                o.put("default_agent", t.defaultAgent());
                strings(o.putArray("not_used"), t.notUsed());
            }
            return array;
        }

        private static void target(ObjectNode o, Target target, TopicCatalogue topics) {
            o.put("kind", target.kind().wireName());
            o.put("name", target.name());
            o.put("topic", topics.agentTopic(target.name()));
        }

        private static void row(PrintWriter out, String field, Object value) {
            out.printf("  %-17s %s%n", field + ":", value);
        }

        private static void strings(ArrayNode array, List<String> values) {
            values.forEach(array::add);
        }

        private static String lower(Enum<?> e) {
            return e.name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
