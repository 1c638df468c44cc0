package dev.pdpipeline.launcher.replay;

import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.common.trigger.SecretFingerprint;
import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.sample.SampleEvents;
import dev.pdpipeline.processor.replay.RawTopicScanner;
import dev.pdpipeline.processor.replay.TimeRange;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import picocli.CommandLine;

/**
 * A raw topic filled the way the ingress fills it (key = incident id, fingerprint headers), the
 * Trigger files and the environment for replay/explain tests.
 */
public final class ReplayFixtures {

    public static final TestKafka KAFKA = TestKafka.shared();
    public static final String SECRET = "replay-test-secret-0123";
    public static final String OTHER_SECRET = "another-subscription-secret";

    public final String rawTopic = KAFKA.uniqueTopic("raw");
    public final String requestLog = KAFKA.uniqueTopic("requests-log");
    /** Not created here: the processor creates it when a test starts one. */
    public final String decisions = KAFKA.uniqueTopic("decisions");
    public final String suffix = UUID.randomUUID().toString().substring(0, 8);
    public final Map<String, String> env = new HashMap<>();

    public ReplayFixtures(Path dir, int partitions, String triggersYaml) throws IOException {
        KAFKA.createTopics(partitions, rawTopic, requestLog);
        Path triggers = dir.resolve("triggers.yaml");
        Files.writeString(triggers, triggersYaml.replace("{suffix}", suffix));
        env.put("KAFKA_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        env.put("RAW_TOPIC", rawTopic);
        env.put("REQUEST_LOG_TOPIC", requestLog);
        env.put("DECISIONS_TOPIC", decisions);
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("REPLAY_SECRET", SECRET);
        env.put("OTHER_SECRET", OTHER_SECRET);
        env.put("TOPIC_CREATE_TIMEOUT_MS", "30000");
    }

    /** A Trigger document; {@code extraConfig} lines go under spec.platform.config. */
    public static String trigger(String name, String agent, String secretVar, boolean enabled, String... extraConfig) {
        List<String> lines = new ArrayList<>(List.of(
                "---",
                "apiVersion: aof.sh/v1",
                "kind: Trigger",
                "metadata:",
                "  name: " + name,
                "spec:",
                "  enabled: " + enabled,
                "  agent: " + agent,
                "  platform:",
                "    type: pagerduty",
                "    config:",
                "      webhook_secret: ${" + secretVar + "}"));
        for (String line : extraConfig) {
            lines.add("      " + line);
        }
        return String.join("\n", lines) + "\n";
    }

    public static SampleEvents.Spec event(String eventId, String incident, String priority) {
        SampleEvents.Spec d = SampleEvents.Spec.defaults();
        return new SampleEvents.Spec("incident.triggered", eventId, incident, d.incidentNumber(), d.title(), priority,
                d.urgency(), d.serviceId(), d.serviceName(), d.teamId(), d.teamName(), Instant.now());
    }

    /** Publishes deliveries as the ingress would, signed by {@code secret}; returns where they landed. */
    public List<RecordMetadata> publish(String secret, SampleEvents.Spec... events) throws Exception {
        List<RecordMetadata> out = new ArrayList<>();
        Properties props = KAFKA.producerProps();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (SampleEvents.Spec spec : events) {
                RecordHeaders headers = new RecordHeaders();
                headers.add(PipelineHeaders.WEBHOOK_ID, utf8("WH-" + UUID.randomUUID()));
                headers.add(PipelineHeaders.RECEIVED_AT, utf8(Instant.now().toString()));
                headers.add(PipelineHeaders.SECRET_FINGERPRINTS, utf8(SecretFingerprint.of(secret)));
                out.add(producer.send(new ProducerRecord<>(rawTopic, null, utf8(spec.incidentId()),
                        SampleEvents.delivery(spec), headers)).get());
            }
        }
        return out;
    }

    /** Every committed record of a topic now (all partitions), read with the scanner under test. */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        Properties client = new Properties();
        client.put("bootstrap.servers", KAFKA.bootstrapServers());
        try (RawTopicScanner scanner = new RawTopicScanner(client, topic, Duration.ofSeconds(30))) {
            scanner.scan(scanner.plan(null, TimeRange.ALL), out::add);
        }
        return out;
    }

    /**
     * {@link #readAll} once at least {@code expected} records are visible: a transaction's commit
     * markers reach the partitions shortly after commitTransaction returns.
     */
    public List<ConsumerRecord<byte[], byte[]>> awaitAll(String topic, int expected) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> readAll(topic).size() >= expected);
        return readAll(topic);
    }

    public boolean topicExists(String topic) throws Exception {
        return KAFKA.admin().listTopics().names().get().contains(topic);
    }

    /** Runs {@code bin/pipeline} with this environment. */
    public Result run(String... args) {
        dev.pdpipeline.launcher.cli.Environment.override(env);
        try {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = Pipeline.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            int code = cli.execute(args);
            return new Result(code, out.toString(), err.toString());
        } finally {
            dev.pdpipeline.launcher.cli.Environment.override(null);
        }
    }

    public record Result(int exitCode, String out, String err) {
    }

    public static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
