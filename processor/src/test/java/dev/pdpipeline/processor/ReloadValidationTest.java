package dev.pdpipeline.processor;

import static dev.pdpipeline.processor.fixtures.TestTriggers.trigger;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.notes.NotesConfig;
import dev.pdpipeline.processor.reload.ActiveTriggers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** A reloaded trigger set passes exactly the checks a set passes at start. */
class ReloadValidationTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TopicCatalogue topics = TopicCatalogue.defaults();
    private final NotesConfig notes = NotesConfig.fromEnv(Map.of());
    private final List<String> ensured = new ArrayList<>();

    /** A trigger that writes to PagerDuty with its own token but has no From email. */
    private static Trigger tokenWithoutFrom(String name) {
        return new Trigger(name, null, null, "agent-" + name, true, "secret", "u+token-" + name, "bot", null,
                List.of(), List.of(), List.of(), null, null, Map.of(), JsonNodeFactory.instance.objectNode());
    }

    private ActiveTriggers active(TriggerSet initial) {
        return new ActiveTriggers(initial, topics, set -> ProcessorService.validate(set, notes, topics),
                names -> ensured.addAll(names), registry);
    }

    @Test
    void aStartRefusesATokenWithoutFromEmail() {
        TriggerSet bad = new TriggerSet(List.of(tokenWithoutFrom("x")));
        assertThatThrownBy(() -> active(bad)).isInstanceOf(ConfigException.class).hasMessageContaining("'x'")
                .hasMessageContaining("from_email");
    }

    @Test
    void aReloadWithATokenWithoutFromEmailKeepsTheLastGoodSet() {
        TriggerSet good = new TriggerSet(List.of(trigger("a", "agent-a", "s")));
        ActiveTriggers active = active(good);

        boolean applied = active.offer(new TriggerSet(List.of(trigger("a", "agent-a", "s"), tokenWithoutFrom("x"))));

        assertThat(applied).isFalse();
        assertThat(active.get()).isSameAs(good);
        assertThat(ensured).as("no topic created for a refused set").containsExactly("agent.agent-a.requests");
        assertThat(registry.get(ActiveTriggers.RELOAD_FAILURES).counter().count()).isEqualTo(1);

        TriggerSet fixed = new TriggerSet(List.of(trigger("a", "agent-a", "s"), trigger("b", "agent-b", "s")));
        assertThat(active.offer(fixed)).as("a corrected file is applied").isTrue();
        assertThat(active.get()).isSameAs(fixed);
    }

    @Test
    void aReloadWithAnIllegalAgentNameIsRefusedBeforeAnyTopicIsCreated() {
        ActiveTriggers active = active(new TriggerSet(List.of(trigger("a", "agent-a", "s"))));

        assertThat(active.offer(new TriggerSet(List.of(trigger("b", "bad agent", "s"))))).isFalse();
        assertThat(ensured).containsExactly("agent.agent-a.requests");
    }
}
