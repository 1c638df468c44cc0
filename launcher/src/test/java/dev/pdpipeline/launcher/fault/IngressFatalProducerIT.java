package dev.pdpipeline.launcher.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.kafka.EmbeddedKafka;
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
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/pipeline ingress} in a JVM of its own, its producer refused from outside: an ACL added
 * on the broker denies it WRITE on the raw topic. No retry can fix an authorisation error, so the
 * ingress must say which part failed on {@code /health/live} and exit with status 1 within 30 s,
 * rather than keep answering 503 to every delivery while looking alive.
 */
class IngressFatalProducerIT {

    private static final Logger LOG = LoggerFactory.getLogger(IngressFatalProducerIT.class);
    private static final String SECRET = "ingress-fatal-secret-0123456789";
    private static final String RAW = "fatal.raw";

    @TempDir
    Path dir;

    private EmbeddedKafka kafka;
    private Process child;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterEach
    void stop() {
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void exitsWithStatusOneWhenTheBrokerDeniesItsProducer() throws Exception {
        kafka = EmbeddedKafka.builder()
                .dataDir(dir.resolve("kafka"))
                .brokerProperty("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .brokerProperty("allow.everyone.if.no.acl.found", "true")
                .start();
        Path triggers = Files.createDirectories(dir.resolve("triggers"));
        Files.writeString(triggers.resolve("fatal.yaml"), String.join("\n",
                "apiVersion: aof.sh/v1",
                "kind: Trigger",
                "metadata:",
                "  name: ingress-fatal",
                "spec:",
                "  platform:",
                "    type: pagerduty",
                "    config:",
                "      webhook_secret: ${FATAL_SECRET}",
                "  agent: fatal-agent",
                ""));
        int port = ProcessorFailureIT.freePort();
        int management = ProcessorFailureIT.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("INGRESS_HOST", "127.0.0.1");
        env.put("INGRESS_PORT", Integer.toString(port));
        env.put("MANAGEMENT_HOST", "127.0.0.1");
        env.put("MANAGEMENT_PORT", Integer.toString(management));
        env.put("RAW_TOPIC", RAW);
        env.put("READINESS_CHECK_INTERVAL_MS", "200");
        env.put("FATAL_SECRET", SECRET);
        Path log = Path.of("target", "it-logs", "ingress-fatal-producer.log");
        child = ProcessorFailureIT.startJvm(env, log, "ingress");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            assertThat(child.isAlive()).as("ingress running (see " + log + ")").isTrue();
            return status(management, "/health/ready") == 200;
        });
        assertThat(post(port, "FATAL-EV-0")).as("accepted while allowed").isEqualTo(202);

        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (Admin a = Admin.create(admin)) {
            ResourcePattern topic = new ResourcePattern(ResourceType.TOPIC, RAW, PatternType.LITERAL);
            a.createAcls(List.of(
                    new AclBinding(topic, new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.ALL,
                            AclPermissionType.ALLOW)),
                    new AclBinding(topic, new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.WRITE,
                            AclPermissionType.DENY)))).all().get(30, TimeUnit.SECONDS);
        }
        Instant denied = Instant.now();
        LOG.info("Denied WRITE on {} to the ingress", RAW);

        AtomicReference<String> down = new AtomicReference<>();
        int[] n = {1};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (child.isAlive() && down.get() == null) {
                post(port, "FATAL-EV-" + n[0]++);
            }
            HttpResponse<String> live = get(management, "/health/live");
            if (live != null && live.statusCode() == 503) {
                down.compareAndSet(null, live.body());
            }
            return down.get() != null;
        });
        assertThat(down.get()).contains("\"status\":\"DOWN\"").contains("\"part\":\"ingress-producer\"")
                .contains("Authorization");
        long left = Math.max(1, 30_000 - Duration.between(denied, Instant.now()).toMillis());
        assertThat(child.waitFor(left, TimeUnit.MILLISECONDS)).as("exited within 30 s of the denial").isTrue();
        LOG.info("Ingress exited {} ms after the denial with status {}; /health/live said {}",
                Duration.between(denied, Instant.now()).toMillis(), child.exitValue(), down.get());
        assertThat(child.exitValue()).isEqualTo(1);
        assertThat(Files.readString(log)).contains("Part ingress-producer failed for good");
    }

    private int post(int port, String eventId) {
        SampleEvents.Spec d = SampleEvents.Spec.defaults();
        byte[] body = SampleEvents.delivery(new SampleEvents.Spec("incident.triggered", eventId, d.incidentId(),
                d.incidentNumber(), d.title(), d.priority(), d.urgency(), d.serviceId(), d.serviceName(), d.teamId(),
                d.teamName(), Instant.now()));
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/pagerduty"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Webhook-Id", eventId)
                .header("X-PagerDuty-Signature", WebhookSignature.header(SECRET, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private int status(int port, String path) {
        HttpResponse<String> r = get(port, path);
        return r == null ? -1 : r.statusCode();
    }

    private HttpResponse<String> get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
