package dev.pdpipeline.processor.notes;

import static dev.pdpipeline.processor.notes.NotesTestTriggers.trigger;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The whole result path against a real broker and the contract-enforcing fake PagerDuty. */
class NotesWriterIT {

    private static final String TOKEN = "it-token-SECRET-0001";

    @Test
    void writesNotesAndStatusesOnceSkipsReplaysDryRunsAndDeadLettersTheRest() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (NotesItSupport it = new NotesItSupport();
                FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents("P1", "P2", "P3", "P5")) {
            TriggerSet triggers = new TriggerSet(List.of(
                    trigger("t-own", "triage", TOKEN, "ops@example.com", "helper"),
                    trigger("t-dry", "scribe", null, null, null)));
            it.request("req-1", "t-own", "triage", "P1", true);
            it.request("req-2", "t-own", "triage", "P2", false);
            it.request("req-3", "t-dry", "scribe", "P3", true);
            it.request("req-4", "t-own", "triage", "PGONE", true);
            it.request("req-5", "t-own", "triage", "P5", true);

            Map<String, Object> first = NotesItSupport.note("req-1", "P1", "triage", "Disk full on db-1");
            first.put("status", "acknowledged");
            it.result("P1", first);
            it.result("P1", first); // the agent published the same answer twice
            Map<String, Object> resolve = new HashMap<>(Map.of("request_id", "req-1", "incident_id", "P1",
                    "agent", "triage", "status", "resolved"));
            it.result("P1", resolve);
            it.result("P2", NotesItSupport.note("req-2", "P2", "triage", "replayed answer"));
            it.result("P3", NotesItSupport.note("req-3", "P3", "scribe", "no token for me"));
            it.result("PGONE", NotesItSupport.note("req-4", "PGONE", "triage", "incident was deleted"));
            it.result("P5", NotesItSupport.note("req-5", "P5", "triage", "word ".repeat(500)));
            it.rawResult("P9", "this is not json");
            it.result("P9", NotesItSupport.note("req-unknown", "P9", "triage", "who asked?"));
            it.rawResult("P9", "{\"request_id\":\"req-1\",\"incident_id\":\"P1\",\"agent\":\"triage\",\"status\":\"triggered\"}");

            try (NotesWriter writer = it.start(NotesItSupport.env(fake, NotesConfig.NOTES_MAX_NOTE_CHARS, "1000"),
                    triggers, registry)) {
                await().atMost(Duration.ofSeconds(30)).until(writer::isReady);

                List<ConsumerRecord<byte[], byte[]>> dlq = it.kafka.readAll(it.topics.resultsDeadLetter(), 4,
                        Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(fake.status("P1")).isEqualTo("resolved");
                    assertThat(fake.notes("P5")).hasSize(3);
                    assertThat(writer.backlog()).isZero();
                });

                Map<String, ConsumerRecord<byte[], byte[]>> byReason = dlq.stream().collect(Collectors.toMap(
                        r -> header(r, PipelineHeaders.DLQ_REASON), r -> r));
                assertThat(byReason).containsOnlyKeys("invalid_json", "unknown_request", "unknown_status",
                        "pagerduty_rejected");
                ConsumerRecord<byte[], byte[]> rejected = byReason.get("pagerduty_rejected");
                assertThat(header(rejected, PipelineHeaders.DLQ_DETAIL)).contains("HTTP 404").contains("Not Found")
                        .doesNotContain(TOKEN);
                assertThat(header(rejected, PipelineHeaders.DLQ_SOURCE_TOPIC)).isEqualTo(it.topics.results());
                assertThat(rejected.headers().lastHeader(PipelineHeaders.DLQ_AT)).isNotNull();
                assertThat(new String(byReason.get("invalid_json").value(), StandardCharsets.UTF_8))
                        .isEqualTo("this is not json");

                List<FakePagerDuty.Note> p1 = fake.notes("P1");
                assertThat(p1).hasSize(1);
                assertThat(p1.get(0).content()).startsWith("Disk full on db-1")
                        .contains("— helper · agent triage · [pdpipeline:");
                assertThat(p1.get(0).from()).isEqualTo("ops@example.com");
                assertThat(fake.notes("P2")).isEmpty();
                assertThat(fake.notes("P3")).isEmpty();
                List<FakePagerDuty.Note> p5 = fake.notes("P5");
                for (int i = 0; i < 3; i++) {
                    assertThat(p5.get(i).content()).endsWith(":" + (i + 1) + "/3]");
                }
                assertThat(fake.requests()).noneMatch(r -> r.path().contains("PGONE") && r.accepted());

                assertThat(NotesItSupport.count(registry, "pdpipeline.notes.writes", "outcome", "written", "kind", "note"))
                        .isEqualTo(2);
                assertThat(NotesItSupport.count(registry, "pdpipeline.notes.writes", "outcome", "written", "kind", "status"))
                        .isEqualTo(2);
                assertThat(NotesItSupport.count(registry, "pdpipeline.notes.writes", "outcome", "duplicate_skipped"))
                        .isEqualTo(1);
                assertThat(NotesItSupport.count(registry, "pdpipeline.notes.writes", "outcome", "replay_skipped"))
                        .isEqualTo(1);
                assertThat(NotesItSupport.count(registry, "pdpipeline.notes.writes", "outcome", "dry_run"))
                        .isEqualTo(1);
                assertThat(NotesItSupport.count(registry, "pdpipeline.notes.dead_letters", "reason", "unknown_request"))
                        .isEqualTo(1);
            }
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
