package dev.pdpipeline.launcher.topics;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.pdpipeline.common.testing.KafkaCluster;
import dev.pdpipeline.common.topics.TopicDurability;
import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The topic plan on a real 3-broker cluster: {@code bin/pipeline topics ensure} creates every
 * topic with replication 3 and {@code min.insync.replicas=2}, and a processor started against a
 * raw topic someone pre-created with replication 1 says so (WARN and gauge).
 */
@Tag("slow")
class TopicPlanClusterIT {

    private static KafkaCluster cluster;

    @TempDir
    Path dir;

    @BeforeAll
    static void startCluster() {
        cluster = KafkaCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void resetEnvironment() {
        Environment.override(null);
    }

    private Map<String, String> env(String prefix) throws Exception {
        Path triggers = Files.createDirectories(dir.resolve("triggers"));
        Files.writeString(triggers.resolve("t.yaml"), String.join("\n",
                "apiVersion: aof.sh/v1",
                "kind: Trigger",
                "metadata:",
                "  name: plan-check",
                "spec:",
                "  platform:",
                "    type: pagerduty",
                "    config:",
                "      webhook_secret: ${NOT_SET_IN_THE_INIT_JOB}",
                "  agent: plan-agent",
                ""));
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("TOPIC_CREATE_TIMEOUT_MS", "60000");
        for (String[] t : new String[][] {{"RAW_TOPIC", "raw"}, {"DLQ_TOPIC", "dlq"}, {"RESULTS_TOPIC", "results"},
                {"RESULTS_DLQ_TOPIC", "results.dlq"}, {"REQUEST_LOG_TOPIC", "requests"},
                {"RESULTS_LEDGER_TOPIC", "ledger"}, {"DECISIONS_TOPIC", "decisions"},
                {"REDRIVES_TOPIC", "redrives"}}) {
            env.put(t[0], prefix + "." + t[1]);
        }
        env.put("AGENT_TOPIC_TEMPLATE", prefix + ".{agent}.requests");
        return env;
    }

    @Test
    void topicsEnsureCreatesEveryTopicWithReplicationThreeAndMinIsrTwo() throws Exception {
        Map<String, String> env = env("plan-a");
        Environment.override(env);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Pipeline.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int exit = cli.execute("topics", "ensure", "--strict");

        assertThat(exit).as(out + "\n" + err).isZero();
        List<String> expected = List.of("plan-a.raw", "plan-a.dlq", "plan-a.results", "plan-a.results.dlq",
                "plan-a.requests", "plan-a.ledger", "plan-a.decisions", "plan-a.redrives", "plan-a.plan-agent.requests");
        try (Admin admin = cluster.admin()) {
            Map<String, TopicDescription> described = admin.describeTopics(expected).allTopicNames()
                    .get(30, TimeUnit.SECONDS);
            Map<ConfigResource, Config> configs = admin.describeConfigs(expected.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).all().get(30, TimeUnit.SECONDS);
            for (String topic : expected) {
                assertThat(described.get(topic).partitions()).as(topic).allSatisfy(p ->
                        assertThat(p.replicas()).hasSize(3));
                assertThat(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic))
                        .get("min.insync.replicas").value()).as(topic).isEqualTo("2");
                assertThat(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic))
                        .get("min.insync.replicas").source()).as(topic + ": set on the topic, not a broker default")
                        .isEqualTo(org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            }
            assertThat(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, "plan-a.ledger"))
                    .get("cleanup.policy").value()).isEqualTo("compact,delete");
        }
        assertThat(out.toString()).contains("created  raw").contains("0 not as planned");

        // a second run finds them all as planned
        StringWriter again = new StringWriter();
        cli.setOut(new PrintWriter(again, true));
        assertThat(cli.execute("topics", "ensure", "--strict")).isZero();
        assertThat(again.toString()).contains("exists   raw").doesNotContain("created");
    }

    @Test
    void aProcessorWarnsAndGaugesARawTopicWithReplicationOne() throws Exception {
        Map<String, String> env = env("plan-b");
        env.put("STATE_DIR", dir.resolve("state").toString());
        env.put("APPLICATION_ID", "plan-b-app");
        env.put("NOTES_ENABLED", "false");
        env.put("NOT_SET_IN_THE_INIT_JOB", "plan-b-secret-0123456789");
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("plan-b.raw", 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(
                TopicDurability.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProcessorService processor = ProcessorService.start(ProcessorConfig.fromEnv(env), registry)) {
            assertThat(registry.get(TopicDurability.GAUGE).tag("topic", "plan-b.raw").gauge().value()).isEqualTo(1.0);
            assertThat(registry.get(TopicDurability.GAUGE).tag("topic", "plan-b.ledger").gauge().value())
                    .as("created by the plan").isEqualTo(0.0);
            assertThat(registry.get(TopicDurability.GAUGE).tag("topic", "plan-b.plan-agent.requests").gauge().value())
                    .isEqualTo(0.0);
            Optional<ILoggingEvent> warn = appender.list.stream()
                    .filter(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("plan-b.raw"))
                    .findFirst();
            assertThat(warn).as("a WARN naming the raw topic").isPresent();
            assertThat(warn.get().getFormattedMessage()).contains("replication 1").contains("3-broker");
            assertThat(appender.list).filteredOn(e -> e.getLevel() == Level.WARN)
                    .as("only the raw topic falls short").hasSize(1);
        } finally {
            logger.detachAppender(appender);
        }
        assertThat(TopicPlan.defaults().replication(3)).isEqualTo((short) 3);
    }
}
