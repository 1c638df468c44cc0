package dev.pdpipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.launcher.sample.SampleEvents;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * An AOF {@code aof.dev/v1} PagerDuty Trigger shaped like AOF's own {@code pagerduty.yaml}, end to
 * end: HTTP → ingress → real broker → processor → the topic of each event type's target, and
 * {@code explain} saying which command or default decided.
 */
class AofDevTriggerIT {

    private static final TestKafka KAFKA = TestKafka.shared();
    private static final String SECRET = "aof-dev-e2e-secret-0123456789";
    private static final String LISTED_SERVICE = "PSERVICE1";

    @TempDir
    Path dir;

    private final String sfx = UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, String> env = new HashMap<>();
    private IngressService ingress;
    private ProcessorService processor;

    @BeforeEach
    void startPipeline() throws Exception {
        Path triggers = Files.writeString(dir.resolve("pagerduty.yaml"), String.join("\n",
                "# PagerDuty Webhook Trigger (shaped like AOF's examples/triggers/pagerduty.yaml)",
                "apiVersion: aof.dev/v1",
                "kind: Trigger",
                "metadata:",
                "  name: pagerduty-incidents-" + sfx,
                "  labels:",
                "    platform: pagerduty",
                "spec:",
                "  type: PagerDuty",
                "  config:",
                "    path: /webhook/pagerduty",
                "    webhook_secret: ${AOF_DEV_SECRET}",
                "    service_ids:",
                "      - " + LISTED_SERVICE + "  # Production platform",
                "      - PYYYYYY  # Production database",
                "  commands:",
                "    incident.triggered:",
                "      flow: incident-flow-" + sfx,
                "      description: \"Auto-triggered incident response\"",
                "    incident.acknowledged:",
                "      agent: devops-" + sfx,
                "      description: \"Incident acknowledged\"",
                "  default_agent: fallback-" + sfx,
                "---",
                "apiVersion: aof.dev/v1",
                "kind: Trigger",
                "metadata:",
                "  name: slack-prod",
                "spec:",
                "  type: Slack",
                "  config:",
                "    bot_token: ${SLACK_BOT_TOKEN}",
                ""));
        env.put("KAFKA_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("AOF_DEV_SECRET", SECRET);
        env.put("RAW_TOPIC", KAFKA.uniqueTopic("raw"));
        env.put("DLQ_TOPIC", KAFKA.uniqueTopic("dlq"));
        env.put("REQUEST_LOG_TOPIC", KAFKA.uniqueTopic("requests-log"));
        env.put("INGRESS_PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("APPLICATION_ID", "aof-dev-e2e-" + UUID.randomUUID());
        env.put("STATE_DIR", dir.resolve("state").toString());
        var registry = MeterRegistries.prometheus();
        processor = ProcessorService.start(ProcessorConfig.fromEnv(env), registry);
        ingress = IngressService.start(IngressConfig.fromEnv(env), registry);
        await().atMost(Duration.ofSeconds(60)).until(() -> ingress.isReady() && processor.isReady());
    }

    @AfterEach
    void stopPipeline() {
        if (ingress != null) {
            ingress.close();
        }
        if (processor != null) {
            processor.close();
        }
    }

    private static SampleEvents.Spec event(String type, String eventId, String incident, String service) {
        SampleEvents.Spec d = SampleEvents.Spec.defaults();
        return new SampleEvents.Spec(type, eventId, incident, d.incidentNumber(), d.title(), d.priority(),
                d.urgency(), service, d.serviceName(), d.teamId(), d.teamName(), Instant.now());
    }

    private void post(SampleEvents.Spec spec) throws Exception {
        assertThat(PipelineFixtures.post(ingress.port(), SampleEvents.delivery(spec), SECRET).statusCode())
                .isEqualTo(202);
    }

    @Test
    void eachEventTypeReachesItsCommandsTargetOrTheDefaultAgentAndOtherServicesReachNothing() throws Exception {
        String incident = "QAOF" + sfx.toUpperCase();
        String other = "other-" + sfx;
        String triggered = "trig-" + sfx;
        String acked = "ack-" + sfx;
        String resolved = "res-" + sfx;
        // Same incident, so same partition: the other service's event is handled before the rest.
        post(event("incident.triggered", other, incident, "POTHER99"));
        post(event("incident.triggered", triggered, incident, LISTED_SERVICE));
        post(event("incident.acknowledged", acked, incident, LISTED_SERVICE));
        post(event("incident.resolved", resolved, incident, LISTED_SERVICE));

        List<ConsumerRecord<byte[], byte[]>> flow = KAFKA.readAll("agent.incident-flow-" + sfx + ".requests", 1,
                Duration.ofSeconds(60));
        List<ConsumerRecord<byte[], byte[]>> devops = KAFKA.readAll("agent.devops-" + sfx + ".requests", 1,
                Duration.ofSeconds(60));
        List<ConsumerRecord<byte[], byte[]>> fallback = KAFKA.readAll("agent.fallback-" + sfx + ".requests", 1,
                Duration.ofSeconds(60));

        JsonNode toFlow = single(flow);
        assertThat(toFlow.at("/metadata/event_id").asText()).as("the other service's event reaches nothing")
                .isEqualTo(triggered);
        assertThat(toFlow.at("/target/kind").asText()).isEqualTo("flow");
        assertThat(toFlow.at("/target/name").asText()).isEqualTo("incident-flow-" + sfx);
        assertThat(toFlow.get("agent").asText()).isEqualTo("incident-flow-" + sfx);
        assertThat(toFlow.get("trigger").asText()).isEqualTo("pagerduty-incidents-" + sfx);

        JsonNode toDevops = single(devops);
        assertThat(toDevops.at("/metadata/event_id").asText()).isEqualTo(acked);
        assertThat(toDevops.at("/target/kind").asText()).isEqualTo("agent");
        assertThat(toDevops.at("/target/name").asText()).isEqualTo("devops-" + sfx);

        JsonNode toFallback = single(fallback);
        assertThat(toFallback.at("/metadata/event_id").asText()).isEqualTo(resolved);
        assertThat(toFallback.at("/target/kind").asText()).isEqualTo("agent");
        assertThat(toFallback.at("/target/name").asText()).isEqualTo("fallback-" + sfx);

        String out = explain("--incident", incident);
        assertThat(section(out, other)).anyMatch(l -> l.contains("REJECTED")
                && l.contains("allowed_services: service POTHER99") && l.contains("is not in service_ids"));
        assertThat(section(out, triggered)).anyMatch(l -> l.contains("ROUTED")
                && l.contains("flow incident-flow-" + sfx) && l.contains("agent.incident-flow-" + sfx + ".requests")
                && l.contains("decided by spec.commands.incident.triggered"));
        assertThat(section(out, acked)).anyMatch(l -> l.contains("ROUTED") && l.contains("agent devops-" + sfx)
                && l.contains("decided by spec.commands.incident.acknowledged"));
        assertThat(section(out, resolved)).anyMatch(l -> l.contains("ROUTED") && l.contains("agent fallback-" + sfx)
                && l.contains("decided by spec.default_agent"));
    }

    /** The one record of a topic (after the later events arrived, nothing else can have been routed there). */
    private static JsonNode single(List<ConsumerRecord<byte[], byte[]>> records) throws Exception {
        assertThat(records).hasSize(1);
        return Json.mapper().readTree(records.get(0).value());
    }

    private String explain(String... args) {
        Environment.override(env);
        try {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = Pipeline.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            String[] full = new String[args.length + 1];
            full[0] = "explain";
            System.arraycopy(args, 0, full, 1, args.length);
            assertThat(cli.execute(full)).as(err.toString()).isZero();
            return out.toString();
        } finally {
            Environment.override(null);
        }
    }

    private static List<String> section(String out, String eventId) {
        for (String block : out.split("\\R\\R")) {
            if (block.contains("event " + eventId + " ")) {
                return block.lines().toList();
            }
        }
        throw new AssertionError("no block for " + eventId + " in:\n" + out);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
