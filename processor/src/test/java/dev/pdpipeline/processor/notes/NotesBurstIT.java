package dev.pdpipeline.processor.notes;

import static dev.pdpipeline.processor.notes.NotesTestTriggers.trigger;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A burst of 2,000 results over 50 incidents under a rate limit, time-scaled so the test stays
 * short: the client is set to 3,600/min (60/s) and the fake enforces 66 per sliding second, the
 * same "client a little under the server" ratio as against PagerDuty's 960/min, and a limit the
 * writer really hits (it manages ~70 writes/s on a 2-core machine with the broker in process).
 * Every note must arrive, once, in per-incident order, without a single 429.
 */
class NotesBurstIT {

    private static final String TOKEN = "burst-token-SECRET";
    private static final int INCIDENTS = 50;
    private static final int PER_INCIDENT = 40;

    @Test
    void burstIsWrittenCompletelyInOrderWithoutDuplicatesOrRateLimitHits() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<String> incidents = new ArrayList<>();
        for (int i = 0; i < INCIDENTS; i++) {
            incidents.add("PB" + i);
        }
        try (NotesItSupport it = new NotesItSupport();
                FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents(incidents.toArray(String[]::new))) {
            fake.enforceRateLimit(66, Duration.ofSeconds(1));
            TriggerSet triggers = new TriggerSet(List.of(trigger("burst", "triage", TOKEN, "ops@example.com", null)));
            for (String incident : incidents) {
                it.request("req-" + incident, "burst", "triage", incident, true);
            }
            for (int seq = 0; seq < PER_INCIDENT; seq++) {
                for (String incident : incidents) {
                    it.result(incident, NotesItSupport.note("req-" + incident, incident, "triage", "seq " + seq));
                }
            }
            long start = System.nanoTime();
            try (NotesWriter writer = it.start(NotesItSupport.env(fake, NotesConfig.PAGERDUTY_RATE_LIMIT_PER_MINUTE,
                    "3600", NotesConfig.NOTES_WORKER_THREADS, "4"), triggers, registry)) {
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(fake.allNotes().values().stream().mapToInt(List::size).sum())
                                .isGreaterThanOrEqualTo(INCIDENTS * PER_INCIDENT));
                long tookMs = Duration.ofNanos(System.nanoTime() - start).toMillis();

                Set<String> markers = new HashSet<>();
                for (String incident : incidents) {
                    List<FakePagerDuty.Note> notes = fake.notes(incident);
                    assertThat(notes).as(incident).hasSize(PER_INCIDENT);
                    for (int seq = 0; seq < PER_INCIDENT; seq++) {
                        assertThat(notes.get(seq).content()).as(incident + " #" + seq).startsWith("seq " + seq + "\n");
                        assertThat(markers.add(NotesItSupport.marker(notes.get(seq).content()))).isTrue();
                    }
                }
                assertThat(fake.rateLimitedCount()).as("429 answers").isZero();
                // 2,000 calls at 60/s cannot take less than ~33 s: the client-side limiter was at work
                assertThat(tookMs).isGreaterThan(30_000);
                await().atMost(Duration.ofSeconds(10)).until(() -> writer.backlog() == 0);
            }
        }
    }
}
