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
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A writer that dies at the worst moment, or is stopped mid-burst, loses no note and writes none twice. */
class NotesRestartIT {

    private static final String TOKEN = "restart-token-SECRET";
    private static final TriggerSet TRIGGERS = new TriggerSet(List.of(
            trigger("t", "triage", TOKEN, "ops@example.com", null)));

    @Test
    void crashBetweenPagerDutySuccessAndLedgerDoneDoesNotWriteTwiceAfterRestart() {
        try (NotesItSupport it = new NotesItSupport();
                FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents("PR1", "PR2", "PR3")) {
            int total = 0;
            for (String incident : List.of("PR1", "PR2", "PR3")) {
                it.request("req-" + incident, "t", "triage", incident, true);
                for (int i = 0; i < 10; i++) {
                    String text = (i % 4 == 1 ? "crash-me " : "") + "note " + i + " for " + incident;
                    it.result(incident, NotesItSupport.note("req-" + incident, incident, "triage", text));
                    total++;
                }
            }
            SimpleMeterRegistry first = new SimpleMeterRegistry();
            try (NotesWriter writer = it.start(NotesItSupport.env(fake), TRIGGERS, first,
                    r -> r.note() != null && r.note().startsWith("crash-me"))) {
                int expected = total;
                await().atMost(Duration.ofSeconds(30)).until(() -> noteCount(fake) == expected);
            }
            assertThat(NotesItSupport.count(first, "pdpipeline.notes.writes", "outcome", "written")).isEqualTo(21);

            SimpleMeterRegistry second = new SimpleMeterRegistry();
            try (NotesWriter writer = it.start(NotesItSupport.env(fake), TRIGGERS, second)) {
                // the 9 crashed results are read again, found 'attempting', checked and not rewritten
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                        NotesItSupport.count(second, "pdpipeline.notes.writes", "outcome", "written")).isEqualTo(9));
                assertThat(fake.requests()).filteredOn(r -> r.method().equals("GET")).hasSizeGreaterThanOrEqualTo(9);
            }
            assertThat(noteCount(fake)).isEqualTo(total);
            assertNoDuplicateMarkers(fake);
        }
    }

    @Test
    void writerClosedMidBurstAndRestartedLosesNothingAndDuplicatesNothing() {
        try (NotesItSupport it = new NotesItSupport();
                FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents("PS1", "PS2", "PS3", "PS4")) {
            int total = 0;
            for (String incident : List.of("PS1", "PS2", "PS3", "PS4")) {
                it.request("req-" + incident, "t", "triage", incident, true);
                for (int i = 0; i < 50; i++) {
                    it.result(incident, NotesItSupport.note("req-" + incident, incident, "triage", "n" + i));
                    total++;
                }
            }
            // slow PagerDuty: every answer takes 30 ms, so the close lands in the middle of writes
            fake.delayNext(Integer.MAX_VALUE, Duration.ofMillis(30));
            try (NotesWriter writer = it.start(NotesItSupport.env(fake), TRIGGERS, new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(30)).until(() -> noteCount(fake) >= 40);
            }
            int afterFirst = noteCount(fake);
            assertThat(afterFirst).isLessThan(total);
            fake.delayNext(0, Duration.ZERO);
            try (NotesWriter writer = it.start(NotesItSupport.env(fake), TRIGGERS, new SimpleMeterRegistry())) {
                int expected = total;
                await().atMost(Duration.ofSeconds(60)).until(() -> noteCount(fake) >= expected);
                await().atMost(Duration.ofSeconds(10)).until(() -> writer.backlog() == 0);
            }
            assertThat(noteCount(fake)).isEqualTo(total);
            assertNoDuplicateMarkers(fake);
            for (String incident : List.of("PS1", "PS2", "PS3", "PS4")) {
                List<String> order = fake.notes(incident).stream().map(n -> n.content().split("\n")[0])
                        .collect(Collectors.toList());
                for (int i = 0; i < 50; i++) {
                    assertThat(order.get(i)).as(incident).isEqualTo("n" + i);
                }
            }
        }
    }

    private static int noteCount(FakePagerDuty fake) {
        return fake.allNotes().values().stream().mapToInt(List::size).sum();
    }

    private static void assertNoDuplicateMarkers(FakePagerDuty fake) {
        Set<String> markers = new HashSet<>();
        fake.allNotes().forEach((incident, notes) -> notes.forEach(n ->
                assertThat(markers.add(NotesItSupport.marker(n.content()))).as("duplicate note on " + incident + ": "
                        + n.content()).isTrue()));
    }
}
