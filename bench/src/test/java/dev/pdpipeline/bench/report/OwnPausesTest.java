package dev.pdpipeline.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class OwnPausesTest {

    @Test
    void aCollectionBeforeTheWindowBeganIsNotCountedEvenWhenItsNotificationComesLater() {
        try (OwnPauses pauses = new OwnPauses()) {
            OwnPauses.collectNow();
            pauses.begin();
            // time for the collection's notification to arrive; nothing here allocates enough for another
            await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> true);
            assertThat(pauses.current().count()).isZero();
        }
    }

    @Test
    void countsACollectionInsideTheWindowWithItsDuration() {
        try (OwnPauses pauses = new OwnPauses()) {
            pauses.begin();
            long tookMs = OwnPauses.collectNow();
            await().atMost(Duration.ofSeconds(10)).until(() -> pauses.current().count() >= 1);
            OwnPauses.Window w = pauses.current();
            assertThat(w.maxMs()).isLessThanOrEqualTo(w.totalMs()).isLessThanOrEqualTo(tookMs + 1000);
        }
    }
}
