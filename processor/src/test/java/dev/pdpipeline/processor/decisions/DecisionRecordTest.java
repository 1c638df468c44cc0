package dev.pdpipeline.processor.decisions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.processor.fixtures.TestEvents;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecisionRecordTest {

    private static EventMetadata metadata(String title) throws Exception {
        return PagerDutyEvent.parse(TestEvents.incident("01HXTRIG0000000000000001", "Q2ZK8INC77").title(title)
                .bytes()).metadata();
    }

    private static DecisionRecord.TriggerDecision routed(String name) {
        return new DecisionRecord.TriggerDecision(name, DecisionRecord.DECISION_ROUTED, null,
                "to agent." + name + ".requests", DecisionRecord.TARGET_AGENT, name, "agent." + name + ".requests",
                "641652d3794407c2ffd571bf39c2b5a6");
    }

    @Test
    void readsBackWhatItWrites() throws Exception {
        byte[] bytes = DecisionRecord.toJson(metadata("Checkout latency"), "WH-1", "2025-05-14T09:12:45.001Z",
                Instant.parse("2025-05-14T09:12:45.090Z"), new DecisionRecord.Source("raw", 2, 812),
                DecisionRecord.ROUTED, null, null, List.of("1a2b3c4d5e6f7a8b"), List.of(routed("triage"),
                        new DecisionRecord.TriggerDecision("p1-only", DecisionRecord.DECISION_REJECTED, "min_priority",
                                "priority P3 is below min_priority P1", null, null, null, null)));

        DecisionRecord d = DecisionRecord.parse(bytes);

        assertThat(d.eventId()).isEqualTo("01HXTRIG0000000000000001");
        assertThat(d.incidentId()).isEqualTo("Q2ZK8INC77");
        assertThat(d.incident()).isEqualTo(new DecisionRecord.Incident("Q2ZK8INC77", 4711L, "Checkout latency",
                "https://example.pagerduty.com/incidents/Q2ZK8INC77", "PSVC4PAY", "payment-service", "high", "P1"));
        assertThat(d.decidedAt()).isEqualTo("2025-05-14T09:12:45.090Z");
        assertThat(d.source()).isEqualTo(new DecisionRecord.Source("raw", 2, 812));
        assertThat(d.outcome()).isEqualTo("routed");
        assertThat(d.signedBy()).containsExactly("1a2b3c4d5e6f7a8b");
        assertThat(d.triggers()).containsExactly(routed("triage"), new DecisionRecord.TriggerDecision("p1-only",
                "rejected", "min_priority", "priority P3 is below min_priority P1", null, null, null, null));
    }

    @Test
    void ignoresUnknownFieldsAndRefusesWhatIsNotADecision() {
        DecisionRecord d = DecisionRecord.parse(("{\"schema_version\":2,\"outcome\":\"ping\",\"new_field\":{\"x\":1},"
                + "\"triggers\":[{\"trigger\":\"t\",\"decision\":\"routed\",\"extra\":true}]}")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(d.outcome()).isEqualTo("ping");
        assertThat(d.triggers()).hasSize(1);
        assertThatThrownBy(() -> DecisionRecord.parse("{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DecisionRecord.parse("nope".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void capsTextWithoutSplittingASurrogatePair() {
        String s = "a".repeat(DecisionRecord.MAX_TEXT - 1) + "\uD83D\uDE00tail";
        assertThat(DecisionRecord.cap(s)).hasSize(DecisionRecord.MAX_TEXT - 1);
        assertThat(DecisionRecord.cap("short")).isEqualTo("short");
    }

    @Test
    void staysSmall() throws Exception {
        List<DecisionRecord.TriggerDecision> ten = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ten.add(routed("trigger-number-" + i));
        }
        int one = DecisionRecord.toJson(metadata("Checkout latency above SLO"), "WH-1", "2025-05-14T09:12:45.001Z",
                Instant.now(), new DecisionRecord.Source("pagerduty.webhooks.raw", 0, 1), DecisionRecord.ROUTED, null,
                null, List.of("1a2b3c4d5e6f7a8b"), ten.subList(0, 1)).length;
        int many = DecisionRecord.toJson(metadata("Checkout latency above SLO"), "WH-1", "2025-05-14T09:12:45.001Z",
                Instant.now(), new DecisionRecord.Source("pagerduty.webhooks.raw", 0, 1), DecisionRecord.ROUTED, null,
                null, List.of("1a2b3c4d5e6f7a8b"), ten).length;
        assertThat(one).isLessThan(900);
        assertThat((many - one) / 9).isLessThan(250);
    }
}
