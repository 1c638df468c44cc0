package dev.pdpipeline.processor.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.processor.fixtures.TestEvents;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The matching decision for aof.dev/v1 Triggers: which target, which field decided, and the rejections. */
class AofDevTriggerMatcherTest {

    private static Trigger trigger(String defaultAgent, List<String> events) {
        Map<String, Target> commands = new LinkedHashMap<>();
        commands.put("incident.triggered", new Target(Target.Kind.FLOW, "incident-flow"));
        commands.put("incident.acknowledged", Target.agent("devops"));
        return new Trigger("pd", null, null, defaultAgent == null ? "incident-flow" : defaultAgent, true, "s", null,
                null, null, events, List.of("PSVC4PAY"), List.of(), null, null, Map.of(), null, Trigger.AOF_DEV_V1,
                commands, defaultAgent, List.of());
    }

    private static EventMetadata event(String type, String serviceId) {
        try {
            return PagerDutyEvent.parse(TestEvents.incident("E1", "Q1").type(type).service(serviceId, "payment-service")
                    .bytes()).metadata();
        } catch (dev.pdpipeline.common.event.InvalidEventException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCommandDecidesItsEventType() {
        Decision d = TriggerMatcher.evaluate(trigger(null, List.of()), event("incident.triggered", "PSVC4PAY"));
        assertThat(d).isEqualTo(new Decision.Routed("pd", new Target(Target.Kind.FLOW, "incident-flow"),
                "spec.commands.incident.triggered"));
    }

    @Test
    void theDefaultAgentDecidesTheOtherEventTypes() {
        Decision d = TriggerMatcher.evaluate(trigger("fallback", List.of()), event("incident.resolved", "PSVC4PAY"));
        assertThat(d).isEqualTo(new Decision.Routed("pd", Target.agent("fallback"), "spec.default_agent"));
    }

    @Test
    void withoutCommandOrDefaultTheEventIsRejectedOnCommands() {
        Decision d = TriggerMatcher.evaluate(trigger(null, List.of()), event("incident.resolved", "PSVC4PAY"));
        assertThat(d).isEqualTo(new Decision.Rejected("pd", "commands",
                "no command for event type incident.resolved and no default_agent"));
    }

    @Test
    void serviceIdsAndEventsFilterBeforeTheTargetIsChosen() {
        Decision other = TriggerMatcher.evaluate(trigger("fallback", List.of()), event("incident.triggered", "POTHER"));
        assertThat(other).isInstanceOf(Decision.Rejected.class);
        assertThat(((Decision.Rejected) other).field()).isEqualTo("allowed_services");
        assertThat(((Decision.Rejected) other).reason()).contains("is not in service_ids [PSVC4PAY]");

        Decision notListed = TriggerMatcher.evaluate(trigger("fallback", List.of("incident.triggered")),
                event("incident.resolved", "PSVC4PAY"));
        assertThat(((Decision.Rejected) notListed).field()).isEqualTo("event_types");
        assertThat(((Decision.Rejected) notListed).reason()).contains("is not in events");
    }

    @Test
    void dedupScopeKeepsTheTriggerNameForAnAofShAgentAndAddsTheTargetOtherwise() {
        assertThat(new Decision.Routed("t", Target.agent("a"), "spec.agent").dedupScope()).isEqualTo("t");
        assertThat(new Decision.Routed("t", new Target(Target.Kind.FLOW, "f"), "spec.commands.x").dedupScope())
                .isEqualTo("t\u0000flow:f");
    }
}
