package dev.pdpipeline.common.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The AOF examples shipped with the seed material load unchanged (Agent documents included). */
class SeedExamplesTest {

    private static final Map<String, String> ENV = Map.of(
            "PAGERDUTY_WEBHOOK_SECRET", "seed-webhook-secret",
            "PAGERDUTY_API_TOKEN", "seed-api-token");

    private Path examples;

    @BeforeEach
    void findExamples() {
        String shared = System.getProperty("pdpipeline.shared.dir");
        examples = shared == null ? null : Path.of(shared, "seed", "examples");
        assumeTrue(examples != null && Files.isDirectory(examples),
                "../shared not present: cannot check the seed's example Trigger files (pdpipeline.shared.dir="
                        + shared + ")");
    }

    @Test
    void loadsTheIncidentResponseExample() {
        TriggerSet set = new TriggerLoader(ENV).load(examples.resolve("pagerduty-incident-response.yaml"));

        assertThat(set.triggers()).hasSize(1);
        Trigger t = set.triggers().get(0);
        assertThat(t.name()).isEqualTo("pagerduty-production-incidents");
        assertThat(t.namespace()).isEqualTo("production");
        assertThat(t.agent()).isEqualTo("incident-response-agent");
        assertThat(t.webhookSecret()).isEqualTo("seed-webhook-secret");
        assertThat(t.apiToken()).isEqualTo("seed-api-token");
        assertThat(t.botName()).isEqualTo("aof-incident-bot");
        assertThat(t.allowedServices()).containsExactly("PXYZ123", "PXYZ456", "PXYZ789");
        assertThat(t.allowedTeams()).containsExactly("P456DEF", "P789GHI");
        assertThat(t.minPriority()).isEqualTo(Priority.P2);
        assertThat(t.minUrgency()).isEqualTo(Urgency.HIGH);
        assertThat(t.parameters().get("notify_channels").get(0).textValue()).isEqualTo("#incidents");
    }

    @Test
    void loadsTheCriticalIncidentExampleSkippingItsAgent() {
        TriggerSet set = new TriggerLoader(ENV).load(examples.resolve("pagerduty-incident.yaml"));

        assertThat(set.triggers()).hasSize(1);
        Trigger t = set.triggers().get(0);
        assertThat(t.name()).isEqualTo("pagerduty-critical-incidents");
        assertThat(t.agent()).isEqualTo("incident-responder");
        assertThat(t.eventTypes()).containsExactly("incident.triggered", "incident.escalated");
        assertThat(t.enabled()).isTrue();
        assertThat(t.parameters().get("auto_acknowledge_p1").booleanValue()).isTrue();
    }

    @Test
    void loadsEveryExampleFileOfTheDirectory() {
        TriggerSet set = new TriggerLoader(ENV).load(examples);

        assertThat(set.triggers()).extracting(Trigger::name, Trigger::agent).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("pagerduty-production-incidents", "incident-response-agent"),
                org.assertj.core.groups.Tuple.tuple("pagerduty-critical-incidents", "incident-responder"));
    }
}
