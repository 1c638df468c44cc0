package dev.pdpipeline.launcher.explain;

import static dev.pdpipeline.launcher.replay.ReplayFixtures.event;
import static dev.pdpipeline.launcher.replay.ReplayFixtures.trigger;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.launcher.replay.ReplayFixtures;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    @Test
    void explainShowsTheDecisionMadeUnderTheOldTriggersAfterTheTriggerFileChanged() throws Exception {
        ReplayFixtures f = new ReplayFixtures(dir, 2, TRIGGERS);
        Path triggers = dir.resolve("triggers.yaml");
        f.env.put("DLQ_TOPIC", ReplayFixtures.KAFKA.uniqueTopic("dlq"));
        f.env.put("APPLICATION_ID", "explain-it-" + f.suffix);
        f.env.put("STATE_DIR", dir.resolve("state").toString());
        f.env.put("MANAGEMENT_PORT", "0");
        f.env.put("RESULTS_TOPIC", ReplayFixtures.KAFKA.uniqueTopic("results"));
        ProcessorService processor = ProcessorService.start(ProcessorConfig.fromEnv(f.env),
                MeterRegistries.prometheus());
        try {
            f.publish(ReplayFixtures.SECRET, event("then-p3", "QCHANGED", "P3"), event("then-p1", "QCHANGED", "P1"));
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> f.topicExists(f.decisions) && f.readAll(f.decisions).size() >= 2);
        } finally {
            processor.close();
        }
        // The Trigger file changes after the fact: P3 would pass now, and a new trigger appears.
        Files.writeString(triggers, (trigger("p2-{suffix}", "triage-{suffix}", "REPLAY_SECRET", true,
                "min_priority: P4") + trigger("newcomer-{suffix}", "late-{suffix}", "REPLAY_SECRET", true))
                .replace("{suffix}", f.suffix));
        f.publish(ReplayFixtures.SECRET, event("after-stop", "QCHANGED", "P3"));

        ReplayFixtures.Result r = f.run("explain", "--incident", "QCHANGED", "--current");

        assertThat(r.exitCode()).as(r.err()).isZero();
        String out = r.out();
        List<String> p3 = section(out, "then-p3");
        assertThat(p3).anyMatch(l -> l.contains("decided by the processor at") && l.contains("not routed"));
        assertThat(p3).anyMatch(l -> l.contains("p2-" + f.suffix) && l.contains("REJECTED")
                && l.contains("min_priority: priority P3 is below min_priority P2"));
        assertThat(p3).anyMatch(l -> l.contains("off-" + f.suffix) && l.contains("DISABLED")
                && l.contains("no longer in the Trigger files"));
        assertThat(p3).anyMatch(l -> l.contains("elsewhere-" + f.suffix) && l.contains("NOT SIGNED"));
        // What the current files would decide is there too, after its label.
        int label = indexOf(p3, "the current Trigger files would decide:");
        assertThat(p3.subList(label, p3.size())).anyMatch(l -> l.contains("p2-" + f.suffix) && l.contains("ROUTED"))
                .anyMatch(l -> l.contains("newcomer-" + f.suffix) && l.contains("ROUTED"));
        assertThat(p3.subList(0, label)).noneMatch(l -> l.contains("newcomer-" + f.suffix));
        assertThat(section(out, "then-p1")).anyMatch(l -> l.contains("p2-" + f.suffix) && l.contains("ROUTED")
                && l.contains("agent.triage-" + f.suffix + ".requests"));
        List<String> after = section(out, "after-stop");
        assertThat(after).anyMatch(l -> l.contains("no decision recorded for this record"));
        assertThat(after).noneMatch(l -> l.contains("decided by the processor"));

        ReplayFixtures.Result json = f.run("explain", "--incident", "QCHANGED", "--json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode events = Json.mapper().readTree(json.out()).get("events");
        assertThat(events).hasSize(3);
        JsonNode first = events.get(0).get("event_id").asText().equals("then-p3") ? events.get(0) : events.get(1);
        assertThat(first.get("decision_source").asText()).isEqualTo("recorded");
        JsonNode recorded = first.get("recorded");
        assertThat(recorded.get("outcome").asText()).isEqualTo("not_routed");
        assertThat(recorded.get("triggers")).anyMatch(t -> t.get("trigger").asText().equals("p2-" + f.suffix)
                && t.get("outcome").asText().equals("rejected") && t.get("field").asText().equals("min_priority"));
        assertThat(events.get(2).get("decision_source").asText()).isEqualTo("current_triggers");
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        throw new AssertionError("no line with '" + text + "' in " + lines);
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
