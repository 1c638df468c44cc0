package dev.pdpipeline.processor.notes;

import static dev.pdpipeline.processor.notes.NotesTestTriggers.trigger;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A PagerDuty outage delays notes; they all arrive afterwards, once and in order. */
class NotesOutageIT {

    private static final String TOKEN = "outage-token-SECRET";

    @Test
    void notesDelayedByAnOutageAllArriveAfterIt() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<String> incidents = List.of("PO1", "PO2", "PO3", "PO4", "PO5");
        try (NotesItSupport it = new NotesItSupport();
                FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents(incidents.toArray(String[]::new))) {
            TriggerSet triggers = new TriggerSet(List.of(trigger("t", "triage", TOKEN, "ops@example.com", null)));
            for (String incident : incidents) {
                it.request("req-" + incident, "t", "triage", incident, true);
                for (int i = 0; i < 4; i++) {
                    it.result(incident, NotesItSupport.note("req-" + incident, incident, "triage", "n" + i));
                }
            }
            Duration outage = Duration.ofSeconds(5);
            fake.failFor(outage, 500);
            long outageEnds = System.nanoTime() + outage.toNanos();
            try (NotesWriter writer = it.start(NotesItSupport.env(fake), triggers, registry)) {
                await().atMost(Duration.ofSeconds(45)).until(() -> fake.allNotes().values().stream()
                        .mapToInt(List::size).sum() >= 20);
                assertThat(System.nanoTime()).isGreaterThanOrEqualTo(outageEnds);
                Set<String> markers = new HashSet<>();
                for (String incident : incidents) {
                    List<FakePagerDuty.Note> notes = fake.notes(incident);
                    assertThat(notes).hasSize(4);
                    for (int i = 0; i < 4; i++) {
                        assertThat(notes.get(i).content()).startsWith("n" + i + "\n");
                        assertThat(markers.add(NotesItSupport.marker(notes.get(i).content()))).isTrue();
                    }
                }
                assertThat(fake.requests()).filteredOn(r -> r.status() == 500).isNotEmpty();
                assertThat(registry.find("pdpipeline.notes.retries").counters().stream()
                        .mapToDouble(c -> c.count()).sum()).isPositive();
                assertThat(NotesItSupport.count(registry, "pdpipeline.notes.dead_letters")).isZero();
            }
        }
    }
}
