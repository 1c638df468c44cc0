package dev.pdpipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
import dev.pdpipeline.launcher.sample.SampleEvents;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTP → ingress → real broker → processor → agent topic, with both services as they ship. */
class EndToEndIT {

    private static final TestKafka KAFKA = TestKafka.shared();

    @TempDir
    Path dir;

    private IngressService ingress;
    private ProcessorService processor;
    private String rawTopic;
    private String agentTopic;

    @BeforeEach
    void startPipeline() throws Exception {
        String agent = "e2e-agent-" + UUID.randomUUID().toString().substring(0, 8);
        rawTopic = KAFKA.uniqueTopic("raw");
        agentTopic = "agent." + agent + ".requests";
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        env.put("TRIGGERS_PATH", PipelineFixtures.triggerFile(dir, agent).toString());
        env.put("E2E_SECRET", PipelineFixtures.SECRET);
        env.put("RAW_TOPIC", rawTopic);
        env.put("DLQ_TOPIC", KAFKA.uniqueTopic("dlq"));
        env.put("INGRESS_PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("APPLICATION_ID", "e2e-" + UUID.randomUUID());
        env.put("STATE_DIR", dir.resolve("state").toString());
        PrometheusMeterRegistry registry = MeterRegistries.prometheus();
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

    @Test
    void signedIncidentReachesTheAgentTopicOnceWithItsMetadata() throws Exception {
        String eventId = UUID.randomUUID().toString();
        byte[] body = SampleEvents.delivery(PipelineFixtures.triggered(eventId, "QE2E1", "P1"));

        HttpResponse<String> first = PipelineFixtures.post(ingress.port(), body, PipelineFixtures.SECRET);
        HttpResponse<String> redelivery = PipelineFixtures.post(ingress.port(), body, PipelineFixtures.SECRET);
        HttpResponse<String> filtered = PipelineFixtures.post(ingress.port(),
                SampleEvents.delivery(PipelineFixtures.triggered(UUID.randomUUID().toString(), "QE2E2", "P4")),
                PipelineFixtures.SECRET);
        HttpResponse<String> marker = PipelineFixtures.post(ingress.port(),
                SampleEvents.delivery(PipelineFixtures.triggered("marker-" + eventId, "QE2E3", "P2")),
                PipelineFixtures.SECRET);

        assertThat(List.of(first.statusCode(), redelivery.statusCode(), filtered.statusCode(), marker.statusCode()))
                .containsOnly(202);
        // the raw topic holds all four deliveries, bytes unchanged, keyed by incident
        List<ConsumerRecord<byte[], byte[]>> raw = KAFKA.readAll(rawTopic, 4, Duration.ofSeconds(30));
        assertThat(raw).anySatisfy(r -> {
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("QE2E1");
            assertThat(r.value()).isEqualTo(body);
        });

        // the agent topic holds the P1 event once (redelivery deduplicated) and the P2 marker; the P4 was filtered
        List<ConsumerRecord<byte[], byte[]>> routed = KAFKA.readAll(agentTopic, 2, Duration.ofSeconds(30));
        assertThat(routed).hasSize(2);
        JsonNode envelope = Json.mapper().readTree(routed.stream()
                .filter(r -> "QE2E1".equals(new String(r.key(), StandardCharsets.UTF_8))).findFirst().orElseThrow().value());
        assertThat(envelope.get("trigger").asText()).startsWith("critical-e2e-agent-");
        assertThat(envelope.get("replay").asBoolean()).isFalse();
        assertThat(envelope.at("/metadata/event_id").asText()).isEqualTo(eventId);
        assertThat(envelope.at("/metadata/incident_id").asText()).isEqualTo("QE2E1");
        assertThat(envelope.at("/metadata/priority").asText()).isEqualTo("P1");
        assertThat(envelope.at("/parameters/depth").asInt()).isEqualTo(3);
        assertThat(envelope.at("/event/id").asText()).isEqualTo(eventId);
        assertThat(envelope.get("request_id").asText()).isNotBlank();
    }

    @Test
    void deliverySignedWithAnotherSecretIsRejectedAndNeverRouted() throws Exception {
        byte[] body = SampleEvents.delivery(PipelineFixtures.triggered(UUID.randomUUID().toString(), "QE2E9", "P1"));
        assertThat(PipelineFixtures.post(ingress.port(), body, "some-other-secret").statusCode()).isEqualTo(401);
        byte[] marker = SampleEvents.delivery(PipelineFixtures.triggered(UUID.randomUUID().toString(), "QE2E8", "P1"));
        assertThat(PipelineFixtures.post(ingress.port(), marker, PipelineFixtures.SECRET).statusCode()).isEqualTo(202);
        List<ConsumerRecord<byte[], byte[]>> raw = KAFKA.readAll(rawTopic, 1, Duration.ofSeconds(30));
        assertThat(raw).extracting(r -> new String(r.key(), StandardCharsets.UTF_8)).containsExactly("QE2E8");
    }
}
