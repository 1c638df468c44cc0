package dev.pdpipeline.console.index;

import static dev.pdpipeline.console.index.Decisions.bytes;
import static dev.pdpipeline.console.index.Decisions.decided;
import static dev.pdpipeline.console.index.Decisions.json;
import static dev.pdpipeline.console.index.Decisions.record;
import static dev.pdpipeline.console.index.Decisions.routed;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsoleIndexTest {

    private static final String AT = "2026-12-01T10:00:00Z";

    @Test
    void listsDeliveriesNewestFirstWithTheirSummaryOutcome() {
        ConsoleIndex index = new ConsoleIndex(100, 100, 10);
        index.addDecision(bytes(routed(record("e1", "Q1", "disk full", 0, "routed", AT), "diag", "diagnostic-agent", "r1")));
        index.addDecision(bytes(decided(record("e2", "Q2", "slow", 1, "not_routed", AT), "diag", "rejected",
                "min_priority", "priority P4 is below P2")));
        index.addDecision(bytes(decided(record("e1", "Q1", "disk full", 2, "not_routed", AT), "diag", "duplicate",
                null, "already routed")));

        List<Delivery> recent = index.recent(DeliveryFilter.NONE, 10);

        assertThat(recent).extracting(Delivery::summary).containsExactly("duplicate", "filtered", "routed");
        assertThat(recent.get(2).agents()).containsExactly("diagnostic-agent");
        assertThat(recent.get(1).rejections()).containsExactly("diag: min_priority");
    }

    @Test
    void filtersByServiceTriggerAgentAndOutcome() {
        ConsoleIndex index = new ConsoleIndex(100, 100, 10);
        index.addDecision(bytes(routed(record("e1", "Q1", "t", 0, "routed", AT), "diag", "diagnostic-agent", "r1")));
        index.addDecision(bytes(decided(record("e2", "Q2", "t", 1, "not_routed", AT), "cleanup", "rejected",
                "event_types", "not in the list")));

        assertThat(index.recent(new DeliveryFilter("checkout-API", null, null, null), 10)).hasSize(2);
        assertThat(index.recent(new DeliveryFilter("other", null, null, null), 10)).isEmpty();
        assertThat(index.recent(new DeliveryFilter(null, "cleanup", null, null), 10)).extracting(Delivery::eventId)
                .containsExactly("e2");
        assertThat(index.recent(new DeliveryFilter(null, null, "diagnostic-agent", null), 10))
                .extracting(Delivery::eventId).containsExactly("e1");
        assertThat(index.recent(new DeliveryFilter(null, null, null, "filtered"), 10)).extracting(Delivery::eventId)
                .containsExactly("e2");
        assertThat(index.recent(new DeliveryFilter(null, null, null, "not_routed"), 10)).extracting(Delivery::eventId)
                .containsExactly("e2");
    }

    @Test
    void evictsTheOldestDeliveriesAndForgetsIncidentsLeftEmpty() {
        ConsoleIndex index = new ConsoleIndex(3, 100, 10);
        for (int i = 0; i < 5; i++) {
            index.addDecision(bytes(record("e" + i, "Q" + i, "t", i, "ping", AT)));
        }

        assertThat(index.recent(DeliveryFilter.NONE, 10)).extracting(Delivery::eventId).containsExactly("e4", "e3", "e2");
        assertThat(index.incident("Q0", t -> false)).isEmpty();
        assertThat(index.incident("Q4", t -> false)).isPresent();
        assertThat(index.stats()).containsEntry("deliveries", 3L).containsEntry("incidents", 3L);
    }

    @Test
    void evictsTheLeastRecentlyTouchedIncidentBeyondItsLimit() {
        ConsoleIndex index = new ConsoleIndex(100, 2, 10);
        index.addDecision(bytes(record("e1", "Q1", "t", 1, "ping", AT)));
        index.addDecision(bytes(record("e2", "Q2", "t", 2, "ping", AT)));
        index.addResult("agent.results", 0, 0, 0, json("{\"incident_id\":\"Q1\",\"request_id\":\"r\",\"agent\":\"a\",\"note\":\"n\"}"));
        index.addDecision(bytes(record("e3", "Q3", "t", 3, "ping", AT)));

        assertThat(index.incident("Q2", t -> false)).isEmpty();
        assertThat(index.incident("Q1", t -> false)).isPresent();
        assertThat(index.recent(DeliveryFilter.NONE, 10)).extracting(Delivery::eventId).containsExactly("e3", "e1");
    }

    @Test
    void theSameRawRecordRecordedTwiceIsOneDelivery() {
        ConsoleIndex index = new ConsoleIndex(100, 100, 10);
        index.addDecision(bytes(routed(record("e1", "Q1", "t", 7, "routed", AT), "diag", "a", "r1")));
        index.addDecision(bytes(routed(record("e1", "Q1", "t", 7, "routed", AT), "diag", "a", "r1")));

        assertThat(index.recent(DeliveryFilter.NONE, 10)).hasSize(1);
        assertThat(index.incident("Q1", t -> false).orElseThrow().events()).hasSize(1);
        assertThat(index.triggerCounts()).singleElement().extracting(TriggerCounts::routed).isEqualTo(1L);
    }

    @Test
    void incidentTimelineJoinsRequestsResultsAndTheLedger() {
        ConsoleIndex index = new ConsoleIndex(100, 100, 10);
        index.addDecision(bytes(routed(record("e1", "Q1", "t", 0, "routed", AT), "diag", "diagnostic-agent", "r1")));
        index.addRequest(json("{\"request_id\":\"r1\",\"trigger\":\"diag\",\"agent\":\"diagnostic-agent\","
                + "\"incident_id\":\"Q1\",\"event_id\":\"e1\",\"replay\":false,\"write_back\":true,\"routed_at\":\"" + AT + "\"}"),
                a -> "agent." + a + ".requests");
        index.addResult("agent.results", 0, 5, 0, json("{\"incident_id\":\"Q1\",\"request_id\":\"r1\","
                + "\"agent\":\"diagnostic-agent\",\"note\":\"disk full\",\"result_id\":\"res1\"}"));
        index.addLedger(json("{\"state\":\"done\",\"result_id\":\"res1\",\"incident_id\":\"Q1\",\"note_ids\":[\"PN1\"]}"));
        index.addLedger(json("{\"state\":\"attempting\",\"result_id\":\"res1\",\"incident_id\":\"Q1\"}"));

        IncidentView view = index.incident("Q1", t -> true).orElseThrow();

        assertThat(view.requests()).singleElement().satisfies(r -> {
            assertThat(r.topic()).isEqualTo("agent.diagnostic-agent.requests");
            assertThat(r.trigger()).isEqualTo("diag");
        });
        assertThat(view.results()).singleElement().satisfies(r -> {
            assertThat(r.note()).isEqualTo("disk full");
            assertThat(r.pagerduty().state()).isEqualTo("written");
            assertThat(r.pagerduty().noteIds()).containsExactly("PN1");
        });
    }

    @Test
    void aResultWithoutLedgerEntryIsADryRunOrPendingOrADeadLetter() {
        ConsoleIndex index = new ConsoleIndex(100, 100, 10);
        index.addDecision(bytes(routed(record("e1", "Q1", "t", 0, "routed", AT), "diag", "a", "r1")));
        index.addResult("agent.results", 0, 1, 0, json("{\"incident_id\":\"Q1\",\"request_id\":\"r1\",\"agent\":\"a\",\"note\":\"x\"}"));

        assertThat(index.incident("Q1", t -> true).orElseThrow().results().get(0).pagerduty().state()).isEqualTo("dry_run");
        assertThat(index.incident("Q1", t -> false).orElseThrow().results().get(0).pagerduty().state()).isEqualTo("pending");

        index.addDeadLetter("agent.results.dlq", 0, 0, json("Q1"),
                json("{\"incident_id\":\"Q1\",\"request_id\":\"r1\",\"agent\":\"a\",\"note\":\"x\"}"),
                Map.of("pdpipeline-dlq-reason", "no_from_email", "pdpipeline-dlq-source-offset", "1"));
        PagerDutyOutcome dead = index.incident("Q1", t -> true).orElseThrow().results().get(0).pagerduty();
        assertThat(dead.state()).isEqualTo("dead_lettered");
        assertThat(dead.reason()).isEqualTo("no_from_email");
    }

    @Test
    void theDefaultResultIdMatchesTheNotesWriters() {
        // docs/agent-contract.md: SHA-256 of request_id \n agent \n note \n status, absent fields empty
        assertThat(ConsoleIndex.defaultResultId("r", "a", "n", null))
                .isEqualTo(sha256Hex("r\na\nn\n"));
    }

    @Test
    void keepsDeadLettersWithTheirReasonAndSourceBounded() {
        ConsoleIndex index = new ConsoleIndex(100, 100, 2);
        for (int i = 0; i < 3; i++) {
            index.addDeadLetter("pagerduty.webhooks.dlq", 0, i, null, json("not json " + i),
                    Map.of("pdpipeline-dlq-reason", "not_json", "pdpipeline-dlq-detail", "Unrecognized token",
                            "pdpipeline-dlq-source-topic", "pagerduty.webhooks.raw",
                            "pdpipeline-dlq-source-partition", "1", "pdpipeline-dlq-source-offset", String.valueOf(10 + i)));
        }
        List<DeadLetter> dl = index.deadLetters(null, 10);

        assertThat(dl).extracting(DeadLetter::offset).containsExactly(2L, 1L);
        assertThat(dl.get(0).reason()).isEqualTo("not_json");
        assertThat(dl.get(0).sourceOffset()).isEqualTo(12L);
        assertThat(dl.get(0).sourcePartition()).isEqualTo(1);
    }

    @Test
    void unreadableRecordsAreSkippedAndCounted() {
        ConsoleIndex index = new ConsoleIndex(100, 100, 10);

        assertThat(index.addDecision(json("{not json"))).isFalse();
        assertThat(index.addResult("agent.results", 0, 0, 0, json("[]"))).isFalse();
        assertThat(index.stats()).containsEntry("records_skipped", 2L);
    }

    @Test
    void countsDeliveriesPerMinuteByOutcome() {
        ConsoleIndex index = new ConsoleIndex(100, 100, 10);
        index.addDecision(bytes(record("e1", "Q1", "t", 0, "ping", "2026-12-01T10:00:10Z")));
        index.addDecision(bytes(record("e2", "Q1", "t", 1, "ping", "2026-12-01T10:00:50Z")));
        index.addDecision(bytes(record("e3", "Q1", "t", 2, "dead_lettered", "2026-12-01T10:01:00Z")));

        List<MinuteBucket> minutes = index.perMinute(Instant.parse("2026-12-01T10:01:30Z"));

        assertThat(minutes).hasSize(ConsoleIndex.CHART_MINUTES);
        assertThat(minutes.get(58).counts()).containsEntry("ping", 2L);
        assertThat(minutes.get(59).counts()).containsEntry("dead_lettered", 1L);
    }

    private static String sha256Hex(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
