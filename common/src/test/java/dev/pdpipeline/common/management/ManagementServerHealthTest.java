package dev.pdpipeline.common.management;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.json.Json;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ManagementServerHealthTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final PrometheusMeterRegistry registry = MeterRegistries.prometheus();
    private final Health health = new Health();
    private final ManagementServer server = ManagementServer.start("127.0.0.1", 0, registry, health)
            .addReadinessCheck("service", () -> true);

    @AfterEach
    void close() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void liveListsThePartsWhileNoneHasFailed() throws Exception {
        health.register("kafka-streams");
        health.register("notes-consumer").degraded("rebalancing");

        HttpResponse<String> live = get("/health/live");

        assertThat(live.statusCode()).isEqualTo(200);
        JsonNode body = Json.mapper().readTree(live.body());
        assertThat(body.path("status").asText()).isEqualTo("DEGRADED");
        assertThat(body.has("failed")).isFalse();
        assertThat(body.path("parts").path("kafka-streams").path("state").asText()).isEqualTo("UP");
        assertThat(body.path("parts").path("notes-consumer").path("state").asText()).isEqualTo("DEGRADED");
        assertThat(body.path("parts").path("notes-consumer").path("reason").asText()).isEqualTo("rebalancing");
        assertThat(get("/health/ready").statusCode()).as("degraded is still ready").isEqualTo(200);
    }

    @Test
    void aFailedPartMakesLiveAndReady503AndNamesThePart() throws Exception {
        Health.Part streams = health.register("kafka-streams");
        health.register("ingress-http");
        streams.failed("Kafka Streams is in state ERROR: MissingSourceTopicException");

        HttpResponse<String> live = get("/health/live");

        assertThat(live.statusCode()).isEqualTo(503);
        JsonNode body = Json.mapper().readTree(live.body());
        assertThat(body.path("status").asText()).isEqualTo("DOWN");
        assertThat(body.path("failed").path("part").asText()).isEqualTo("kafka-streams");
        assertThat(body.path("failed").path("reason").asText()).contains("MissingSourceTopicException");
        assertThat(body.path("failed").path("at").asText()).isNotBlank();
        assertThat(body.path("parts").path("kafka-streams").path("state").asText()).isEqualTo("FAILED");
        assertThat(body.path("parts").path("ingress-http").path("state").asText()).isEqualTo("UP");
        HttpResponse<String> ready = get("/health/ready");
        assertThat(ready.statusCode()).as("ready although every readiness check passes").isEqualTo(503);
        assertThat(ready.body()).contains("\"live\":\"DOWN\"");
        assertThat(server.isReady()).isFalse();
    }

    @Test
    void aGaugePerPartSaysUpDegradedOrFailed() throws Exception {
        Health.Part a = health.register("a");
        health.register("b").degraded("broker away");
        a.failed("gone");

        String metrics = get("/metrics").body();

        assertThat(metrics).contains("pdpipeline_health_part{part=\"a\"} 0.0")
                .contains("pdpipeline_health_part{part=\"b\"} 0.5")
                .contains("pdpipeline_health_live 0.0");
    }
}
