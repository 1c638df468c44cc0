package dev.pdpipeline.processor.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.trigger.Priority;
import dev.pdpipeline.common.trigger.SecretFingerprint;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.fixtures.TestEvents;
import dev.pdpipeline.processor.fixtures.TestTriggers;
import dev.pdpipeline.processor.routing.TriggerVerdicts.Kind;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TriggerVerdictsTest {

    private static final String SECRET = "verdict-secret";
    private static final Set<String> SIGNED = Set.of(SecretFingerprint.of(SECRET));

    private static EventMetadata p3() throws Exception {
        return PagerDutyEvent.parse(TestEvents.incident("EV-1", "INC-1").priority("P3").bytes()).metadata();
    }

    @Test
    void checksTheSecretBeforeEnabledBeforeTheFilters() throws Exception {
        Trigger unsignedDisabledRejecting = TestTriggers.builder("a", "agent-a", "other-secret").enabled(false)
                .minPriority(Priority.P1).build();
        Trigger disabledRejecting = TestTriggers.builder("b", "agent-b", SECRET).enabled(false)
                .minPriority(Priority.P1).build();
        Trigger rejecting = TestTriggers.builder("c", "agent-c", SECRET).minPriority(Priority.P1).build();
        Trigger routing = TestTriggers.trigger("d", "agent-d", SECRET);

        List<TriggerVerdicts.Verdict> verdicts = TriggerVerdicts.evaluate(
                new TriggerSet(List.of(unsignedDisabledRejecting, disabledRejecting, rejecting, routing)), SIGNED, p3());

        assertThat(verdicts).extracting(TriggerVerdicts.Verdict::kind)
                .containsExactly(Kind.NOT_SIGNED, Kind.DISABLED, Kind.REJECTED, Kind.ROUTED);
        assertThat(verdicts.get(2).field()).isEqualTo("min_priority");
        assertThat(verdicts.get(2).describe()).isEqualTo("min_priority: priority P3 is below min_priority P1");
        assertThat(verdicts.get(3).agent()).isEqualTo("agent-d");
        assertThat(verdicts.get(2).agent()).isNull();
        assertThat(Kind.NOT_SIGNED.code()).isEqualTo("not_signed");
    }

    @Test
    void precomputedFingerprintsGiveTheSameVerdicts() throws Exception {
        TriggerSet set = new TriggerSet(List.of(TestTriggers.trigger("d", "agent-d", SECRET),
                TestTriggers.trigger("e", "agent-e", "another")));

        assertThat(TriggerVerdicts.evaluate(TriggerVerdicts.signed(set), SIGNED, p3()))
                .isEqualTo(TriggerVerdicts.evaluate(set, SIGNED, p3()));
    }
}
