package dev.pdpipeline.launcher.explain;

import static dev.pdpipeline.launcher.replay.ReplayFixtures.event;
import static dev.pdpipeline.launcher.replay.ReplayFixtures.trigger;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.launcher.replay.ReplayFixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/pipeline explain against a real broker. */
class ExplainIT {

    private static final String TRIGGERS =
            trigger("p2-{suffix}", "triage-{suffix}", "REPLAY_SECRET", true, "min_priority: P2")
            + trigger("off-{suffix}", "triage-{suffix}", "REPLAY_SECRET", false)
            + trigger("elsewhere-{suffix}", "other-{suffix}", "OTHER_SECRET", true);

    @TempDir
    Path dir;

    @Test
    void explainNamesTheRejectingFilterAndTheUnsignedAndDisabledTriggers() throws Exception {
        ReplayFixtures f = new ReplayFixtures(dir, 3, TRIGGERS);
        f.publish(ReplayFixtures.SECRET, event("exp-low", "QEXPLAIN", "P3"), event("exp-high", "QEXPLAIN", "P1"),
                event("exp-other-incident", "QOTHER", "P1"));

        ReplayFixtures.Result r = f.run("explain", "--incident", "QEXPLAIN");

        assertThat(r.exitCode()).as(r.err()).isZero();
        String out = r.out();
        assertThat(out).contains("Incident QEXPLAIN: 2 record(s)").doesNotContain("exp-other-incident");
        List<String> low = section(out, "exp-low");
        assertThat(low).anyMatch(l -> l.contains("p2-" + f.suffix) && l.contains("REJECTED")
                && l.contains("min_priority: priority P3 is below min_priority P2"));
        assertThat(low).anyMatch(l -> l.contains("off-" + f.suffix) && l.contains("DISABLED")
                && l.contains("trigger disabled"));
        assertThat(low).anyMatch(l -> l.contains("elsewhere-" + f.suffix) && l.contains("NOT SIGNED")
                && l.contains("not signed by this trigger's secret"));
        assertThat(section(out, "exp-high")).anyMatch(l -> l.contains("p2-" + f.suffix) && l.contains("ROUTED")
                && l.contains("agent.triage-" + f.suffix + ".requests"));
    }

    @Test
    void explainByEventScansEveryPartitionAndSpeaksJson() throws Exception {
        ReplayFixtures f = new ReplayFixtures(dir, 3, TRIGGERS);
        f.publish(ReplayFixtures.SECRET, event("needle", "QNEEDLE", "P4"), event("hay-1", "QHAY1", "P1"),
                event("hay-2", "QHAY2", "P1"));

        ReplayFixtures.Result r = f.run("explain", "--event", "needle", "--json");

        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = Json.mapper().readTree(r.out());
        assertThat(json.get("partitions")).hasSize(3);
        assertThat(json.get("from").isNull()).as("--event is bounded by a default --since").isFalse();
        assertThat(json.get("events")).hasSize(1);
        JsonNode verdict = json.get("events").get(0).get("triggers").get(0);
        assertThat(verdict.get("trigger").asText()).isEqualTo("p2-" + f.suffix);
        assertThat(verdict.get("outcome").asText()).isEqualTo("rejected");
        assertThat(verdict.get("field").asText()).isEqualTo("min_priority");
        assertThat(verdict.get("reason").asText()).isEqualTo("priority P4 is below min_priority P2");
    }

    /** The lines of the event block that mentions {@code eventId}. */
    private static List<String> section(String out, String eventId) {
        for (String block : out.split("\\R\\R")) {
            if (block.contains("event " + eventId + " ")) {
                return block.lines().toList();
            }
        }
        throw new AssertionError("no block for " + eventId + " in:\n" + out);
    }
}
