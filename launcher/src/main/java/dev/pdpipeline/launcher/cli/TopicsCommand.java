package dev.pdpipeline.launcher.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.TopicAdmin;
import dev.pdpipeline.common.topics.TopicDurability;
import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.processor.ProcessorConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bin/pipeline topics}: the topic plan, printed or applied. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = {"The topic plan: every topic of the pipeline with its partitions, replication and configs,"
                + " from the same environment variables the services read (see docs/operations.md).",
            "Exit codes: 0 success, 1 Kafka not reachable in time (or, with --strict, a topic not as planned),"
                + " 3 invalid configuration."},
        subcommands = {TopicsCommand.Plan.class, TopicsCommand.Ensure.class, CommandLine.HelpCommand.class})
public final class TopicsCommand implements Runnable {

    /** Kafka not reachable in time, or a topic not as planned with {@code --strict}. */
    static final int EXIT_KAFKA = 1;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The plan and the agent names of the Triggers in TRIGGERS_PATH (none when the path does not exist). */
    record Planned(ProcessorConfig config, TopicPlan plan, Set<String> agentTopics, String note) {
        static Planned fromEnv(Map<String, String> env) {
            ProcessorConfig config = ProcessorConfig.fromEnv(env);
            TopicPlan plan = config.topicPlan();
            Set<String> agents = new LinkedHashSet<>();
            String note = null;
            if (Files.exists(config.triggersPath())) {
                for (Trigger t : new TriggerLoader(withPlaceholders(env, config.triggersPath())).load(config.triggersPath()).triggers()) {
                    agents.add(config.topics().agentTopic(t.agent()));
                }
            } else {
                note = "no Trigger files at " + ProcessorConfig.TRIGGERS_PATH + "=" + config.triggersPath()
                        + ": agent topics are not included";
            }
            return new Planned(config, plan, agents, note);
        }

        /**
         * Only the agent names matter here: a variable the Trigger files use but this job does not
         * have (a webhook secret, a token) reads as a placeholder instead of failing.
         */
        static Map<String, String> withPlaceholders(Map<String, String> env, java.nio.file.Path triggers) {
            Map<String, String> out = new java.util.HashMap<>(env);
            java.util.regex.Pattern ref = java.util.regex.Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)");
            try (java.util.stream.Stream<java.nio.file.Path> files = Files.isDirectory(triggers)
                    ? Files.list(triggers) : java.util.stream.Stream.of(triggers)) {
                for (java.nio.file.Path file : files.filter(Files::isRegularFile).toList()) {
                    java.util.regex.Matcher m = ref.matcher(Files.readString(file));
                    while (m.find()) {
                        out.putIfAbsent(m.group(1), "unset-variable-placeholder-for-topic-planning");
                    }
                }
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                // the loader reports an unreadable file itself
            }
            return out;
        }

        List<TopicPlan.Spec> specs(int brokers, int rawPartitions) {
            List<TopicPlan.Spec> all = new ArrayList<>(plan.fixedTopics(brokers));
            for (String topic : agentTopics) {
                all.add(plan.agentTopic(topic, rawPartitions, brokers));
            }
            return all;
        }
    }

    /** {@code bin/pipeline topics plan [--json] [--brokers N]}. */
    @Command(name = "plan", mixinStandardHelpOptions = true,
            description = {"Print the topic plan without touching Kafka. Replication is min(3, brokers) unless"
                    + " TOPIC_REPLICATION is set; pass --brokers to see it resolved.",
                "Exit codes: 0 printed, 3 invalid configuration."})
    public static final class Plan implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print the plan as JSON.")
        boolean json;

        @Option(names = "--brokers", paramLabel = "N", description = "Resolve replication for a cluster of N brokers.")
        Integer brokers;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Planned planned = Planned.fromEnv(Environment.current());
            TopicPlan plan = planned.plan();
            boolean resolved = brokers != null || plan.explicitReplication().isPresent();
            int n = brokers != null ? Math.max(1, brokers) : TopicPlan.DURABLE_REPLICATION;
            List<TopicPlan.Spec> specs = planned.specs(n, plan.rawPartitions());
            String rule = plan.explicitReplication().isPresent()
                    ? TopicPlan.TOPIC_REPLICATION + "=" + plan.explicitReplication().getAsInt()
                    : "min(3, brokers); min.insync.replicas=2 where replication >= 3";
            if (json) {
                ObjectNode root = Json.mapper().createObjectNode();
                root.put("replication_rule", rule);
                if (brokers != null) {
                    root.put("brokers", brokers);
                } else {
                    root.putNull("brokers");
                }
                ArrayNode topics = root.putArray("topics");
                for (TopicPlan.Spec s : specs) {
                    ObjectNode t = topics.addObject();
                    t.put("role", s.role().id());
                    t.put("name", s.name());
                    t.put("partitions", s.partitions());
                    if (resolved) {
                        t.put("replication", s.replication());
                    } else {
                        t.putNull("replication");
                    }
                    ObjectNode configs = t.putObject("configs");
                    s.configs().forEach((k, v) -> {
                        if (resolved || !k.equals("min.insync.replicas")) {
                            configs.put(k, v);
                        }
                    });
                    t.put("durability_checked", s.role().durable());
                }
                if (planned.note() != null) {
                    root.put("note", planned.note());
                }
                out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
            } else {
                out.printf("Replication: %s%s%n", rule, brokers == null ? "" : " (" + brokers + " broker(s))");
                out.printf("%-12s %-40s %10s %11s  %s%n", "ROLE", "TOPIC", "PARTITIONS", "REPLICATION", "CONFIGS");
                for (TopicPlan.Spec s : specs) {
                    List<String> configs = new ArrayList<>();
                    s.configs().forEach((k, v) -> {
                        if (resolved || !k.equals("min.insync.replicas")) {
                            configs.add(k + "=" + v);
                        }
                    });
                    out.printf("%-12s %-40s %10d %11s  %s%n", s.role().id(), s.name(), s.partitions(),
                            resolved ? Short.toString(s.replication()) : "auto", String.join(", ", configs));
                }
                if (planned.note() != null) {
                    out.println("Note: " + planned.note());
                }
            }
            out.flush();
            return 0;
        }
    }

    /** {@code bin/pipeline topics ensure [--strict]}. */
    @Command(name = "ensure", mixinStandardHelpOptions = true,
            description = {"Create every missing topic of the plan (including the agent topics of the Triggers in"
                    + " TRIGGERS_PATH) and check the existing ones; existing topics are never changed."
                    + " Waits up to TOPIC_CREATE_TIMEOUT_MS (default 60000) for Kafka.",
                "Exit codes: 0 every topic exists (differences from the plan are printed as warnings),"
                    + " 1 Kafka not reachable in time (or --strict and a topic differs), 3 invalid configuration."})
    public static final class Ensure implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--strict", description = "Exit 1 when an existing topic differs from the plan.")
        boolean strict;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Planned planned = Planned.fromEnv(Environment.current());
            ProcessorConfig config = planned.config();
            Duration timeout = config.topicCreateTimeout();
            Properties props = new Properties();
            config.kafkaClientProperties().forEach((k, v) -> {
                if (AdminClientConfig.configNames().contains(String.valueOf(k))) {
                    props.put(k, v);
                }
            });
            long requestMs = Math.min(timeout.toMillis(), 10_000);
            props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(requestMs));
            props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(Math.max(requestMs,
                    timeout.toMillis())));
            try (Admin admin = Admin.create(props)) {
                int brokers;
                Set<String> existing;
                try {
                    brokers = TopicPlan.brokerCount(admin, timeout);
                    existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (IllegalStateException | ExecutionException | TimeoutException e) {
                    err.println("Kafka not reachable at " + props.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
                            + " within " + timeout.toMillis() + " ms: " + e.getMessage());
                    err.flush();
                    return EXIT_KAFKA;
                }
                List<TopicPlan.Spec> fixed = planned.plan().fixedTopics(brokers);
                try {
                    TopicAdmin.ensureTopics(admin, fixed.stream().map(TopicPlan.Spec::toNewTopic).toList(), timeout);
                    int rawPartitions = describe(admin, config.topics().raw(), timeout).partitions().size();
                    List<TopicPlan.Spec> all = planned.specs(brokers, rawPartitions);
                    TopicAdmin.ensureTopics(admin, all.stream().map(TopicPlan.Spec::toNewTopic).toList(), timeout);
                    int differences = 0;
                    Map<String, TopicDurability.Finding> found = new java.util.HashMap<>();
                    TopicDurability.describe(admin, all.stream().map(TopicPlan.Spec::name).toList(), timeout)
                            .forEach(f -> found.put(f.topic(), f));
                    for (TopicPlan.Spec s : all) {
                        int partitions = describe(admin, s.name(), timeout).partitions().size();
                        TopicDurability.Finding f = found.get(s.name());
                        List<String> diff = new ArrayList<>();
                        if (partitions != s.partitions()) {
                            diff.add("partitions " + partitions + " (plan " + s.partitions() + ")");
                        }
                        if (f != null && f.replication() != s.replication()) {
                            diff.add("replication " + f.replication() + " (plan " + s.replication() + ")");
                        }
                        String planIsr = s.configs().get("min.insync.replicas");
                        if (f != null && planIsr != null && f.minInsync() < Integer.parseInt(planIsr)) {
                            diff.add("min.insync.replicas " + f.minInsync() + " (plan " + planIsr + ")");
                        }
                        String state = existing.contains(s.name()) ? "exists" : "created";
                        out.printf("%-8s %-12s %s%n", state, s.role().id(), s.name());
                        if (!diff.isEmpty()) {
                            differences++;
                            err.println("Warning: topic " + s.name() + " differs from the plan: "
                                    + String.join(", ", diff) + " (existing topics are not changed)");
                        }
                    }
                    new TopicDurability(new SimpleMeterRegistry()).check(admin, brokers, all.stream()
                            .filter(s -> s.role().durable()).map(TopicPlan.Spec::name).toList(), timeout);
                    if (planned.note() != null) {
                        out.println("Note: " + planned.note());
                    }
                    out.printf("%d topic(s) on %d broker(s), %d not as planned%n", all.size(), brokers, differences);
                    out.flush();
                    err.flush();
                    return strict && differences > 0 ? EXIT_KAFKA : 0;
                } catch (IllegalStateException e) {
                    err.println("Cannot ensure the topics: " + e.getMessage());
                    err.flush();
                    return EXIT_KAFKA;
                }
            }
        }

        private static TopicDescription describe(Admin admin, String topic, Duration timeout) {
            try {
                return admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(topic);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("cannot describe " + topic + ": " + e, e);
            }
        }
    }
}
