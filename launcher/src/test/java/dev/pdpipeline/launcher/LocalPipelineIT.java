package dev.pdpipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.launcher.local.LocalPipeline;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The all-in-one local run as {@code bin/pipeline local} starts it: its own embedded broker,
 * the repository's example Trigger file, one management port, and {@code send-test-event}.
 */
class LocalPipelineIT {

    @TempDir
    Path dataDir;

    @AfterEach
    void restoreEnvironment() {
        Environment.override(null);
    }

    @Test
    void localRunRoutesTheTestEventAndKeepsHistoryAcrossARestart() throws Exception {
        Path home = Path.of("..").toAbsolutePath().normalize(); // the repository, as bin/pipeline sets it
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:" + freePort());
        env.put("LOCAL_DATA_DIR", dataDir.toString());
        env.put("INGRESS_PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("CONSOLE_PORT", "0");
        Map<String, String> localEnv = LocalPipeline.withLocalDefaults(env, home);

        String agentTopic;
        try (LocalPipeline pipeline = LocalPipeline.start(localEnv)) {
            await().atMost(Duration.ofSeconds(60)).until(pipeline::isReady);
            assertThat(httpGet(pipeline.managementPort(), "/health/ready").statusCode()).isEqualTo(200);

            StringWriter banner = new StringWriter();
            dev.pdpipeline.launcher.cli.LocalCommandBanner.print(new PrintWriter(banner), pipeline, localEnv);
            assertThat(banner.toString()).contains("/webhooks/pagerduty", pipeline.bootstrapServers(), "/metrics");

            Environment.override(localEnv);
            StringWriter out = new StringWriter();
            CommandLine cli = Pipeline.commandLine();
            cli.setOut(new PrintWriter(out, true));
            int exit = cli.execute("send-test-event", "--url",
                    "http://localhost:" + pipeline.ingressPort() + "/webhooks/pagerduty", "--event-id", "local-it-1");
            assertThat(exit).as(out.toString()).isZero();
            assertThat(out.toString()).contains("HTTP 202");

            agentTopic = pipeline.topics().agentTopic("diagnostic-agent");
            List<ConsumerRecord<byte[], byte[]>> routed = readAtLeast(pipeline.bootstrapServers(), agentTopic, 1);
            JsonNode envelope = Json.mapper().readTree(routed.get(0).value());
            assertThat(envelope.at("/metadata/event_id").asText()).isEqualTo("local-it-1");

            // the example agent answers, and with no API token the notes writer logs the note (dry run)
            List<ConsumerRecord<byte[], byte[]>> results = readAtLeast(pipeline.bootstrapServers(),
                    pipeline.topics().results(), 1);
            JsonNode result = Json.mapper().readTree(results.get(0).value());
            assertThat(result.get("request_id").asText()).isEqualTo(envelope.get("request_id").asText());
            assertThat(result.get("note").asText()).isNotBlank();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                    httpGet(pipeline.managementPort(), "/metrics").body())
                    .containsPattern("pdpipeline_notes_writes_total\\{[^}]*outcome=\"dry_run\"[^}]*\\} [1-9]"));

            String metrics = httpGet(pipeline.managementPort(), "/metrics").body();
            assertThat(metrics).contains("pdpipeline_ingress").contains("jvm_memory_used_bytes");
        }

        try (LocalPipeline restarted = LocalPipeline.start(localEnv)) {
            await().atMost(Duration.ofSeconds(60)).until(restarted::isReady);
            assertThat(readAtLeast(restarted.bootstrapServers(), agentTopic, 1)).isNotEmpty();
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAtLeast(String bootstrap, String topic, int expected) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", "local-it-" + System.nanoTime());
        props.put("auto.offset.reset", "earliest");
        props.put("isolation.level", "read_committed");
        List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                return seen.size() >= expected;
            });
        }
        return seen;
    }

    private static HttpResponse<String> httpGet(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
