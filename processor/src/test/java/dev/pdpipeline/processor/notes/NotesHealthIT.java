package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The notes writer's threads report to the health registry: a part that dies from outside (its
 * topic deleted on the broker) is FAILED with the reason, so the process stops instead of
 * writing on with a stale ledger or not at all.
 */
class NotesHealthIT {

    private static final String TOKEN = "health-token-SECRET";

    @Test
    void aDeletedLedgerTopicFailsTheLedgerReader() throws Exception {
        try (NotesItSupport it = new NotesItSupport(); FakePagerDuty fake = FakePagerDuty.start(TOKEN)) {
            Health health = new Health();
            try (NotesWriter writer = it.start(NotesItSupport.env(fake), TriggerSet.empty(), new SimpleMeterRegistry(),
                    ResultProcessor.Faults.NONE, health)) {
                await().atMost(Duration.ofSeconds(60)).until(writer::isReady);
                assertThat(health.parts()).containsKeys("notes-consumer", "notes-request-log", "notes-ledger");
                assertThat(health.isLive()).isTrue();

                it.kafka.admin().deleteTopics(List.of(it.topics.resultsLedger())).all().get(30, TimeUnit.SECONDS);

                await().atMost(Duration.ofSeconds(60)).until(() -> !health.isLive());
                Health.Failure failure = health.failure().orElseThrow();
                assertThat(failure.part()).isEqualTo("notes-ledger");
                assertThat(failure.reason()).contains(it.topics.resultsLedger());
                assertThat(health.parts().get("notes-ledger").state()).isEqualTo(Health.State.FAILED);
                assertThat(failure.reason()).doesNotContain(TOKEN);
            }
        }
    }

    @Test
    void aDeletedResultsTopicFailsTheNotesConsumer() throws Exception {
        try (NotesItSupport it = new NotesItSupport(); FakePagerDuty fake = FakePagerDuty.start(TOKEN)) {
            Health health = new Health();
            try (NotesWriter writer = it.start(NotesItSupport.env(fake), TriggerSet.empty(), new SimpleMeterRegistry(),
                    ResultProcessor.Faults.NONE, health)) {
                await().atMost(Duration.ofSeconds(60)).until(writer::isReady);

                it.kafka.admin().deleteTopics(List.of(it.topics.results())).all().get(30, TimeUnit.SECONDS);

                await().atMost(Duration.ofSeconds(60)).until(() -> !health.isLive());
                Health.Failure failure = health.failure().orElseThrow();
                assertThat(failure.part()).isEqualTo("notes-consumer");
                assertThat(failure.reason()).contains(it.topics.results());
                assertThat(writer.isReady()).as("a writer whose consumer died is not ready").isFalse();
            }
        }
    }
}
