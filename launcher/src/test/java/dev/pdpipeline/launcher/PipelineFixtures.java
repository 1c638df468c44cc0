package dev.pdpipeline.launcher;

import dev.pdpipeline.common.signature.WebhookSignature;
import dev.pdpipeline.launcher.sample.SampleEvents;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/** Trigger files and signed deliveries for the launcher's end-to-end tests. */
final class PipelineFixtures {

    static final String SECRET = "e2e-test-secret-0123456789";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PipelineFixtures() {
    }

    /** One trigger routing triggered P1/P2 high-urgency incidents to {@code agent}. */
    static Path triggerFile(Path dir, String agent) throws IOException {
        Path file = dir.resolve("triggers.yaml");
        Files.writeString(file, String.join("\n",
                "apiVersion: aof.sh/v1",
                "kind: Trigger",
                "metadata:",
                "  name: critical-" + agent,
                "spec:",
                "  platform:",
                "    type: pagerduty",
                "    config:",
                "      webhook_secret: ${E2E_SECRET}",
                "      event_types: [incident.triggered]",
                "      min_priority: P2",
                "  agent: " + agent,
                "  parameters:",
                "    depth: 3",
                ""));
        return file;
    }

    static SampleEvents.Spec triggered(String eventId, String incident, String priority) {
        SampleEvents.Spec d = SampleEvents.Spec.defaults();
        return new SampleEvents.Spec("incident.triggered", eventId, incident, d.incidentNumber(), d.title(), priority,
                d.urgency(), d.serviceId(), d.serviceName(), d.teamId(), d.teamName(), d.occurredAt());
    }

    static HttpResponse<String> post(int port, byte[] body, String secret) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/webhooks/pagerduty"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Webhook-Id", UUID.randomUUID().toString())
                .header("X-PagerDuty-Signature", WebhookSignature.header(secret, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

}
