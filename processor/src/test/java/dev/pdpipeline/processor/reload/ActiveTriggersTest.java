package dev.pdpipeline.processor.reload;

import static dev.pdpipeline.processor.fixtures.TestTriggers.trigger;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.TriggerConfigException;
import dev.pdpipeline.common.trigger.TriggerSet;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ActiveTriggersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TopicCatalogue topics = TopicCatalogue.defaults();
    private final List<List<String>> created = new ArrayList<>();

    private static TriggerSet set(dev.pdpipeline.common.trigger.Trigger... triggers) {
        return new TriggerSet(List.of(triggers));
    }

    private double failures() {
        return registry.get(ActiveTriggers.RELOAD_FAILURES).counter().count();
    }

    @Test
    void createsTheAgentTopicsOfTheInitialSet() {
        new ActiveTriggers(set(trigger("a", "agent-a", "s"), trigger("b", "agent-b", "s")), topics,
                names -> created.add(List.copyOf(names)), registry);

        assertThat(created).containsExactly(List.of("agent.agent-a.requests", "agent.agent-b.requests"));
    }

    @Test
    void createsNewAgentTopicsBeforeTheNewSetIsUsed() {
        TriggerSet first = set(trigger("a", "agent-a", "s"));
        TriggerSet second = set(trigger("a", "agent-a", "s"), trigger("b", "agent-b", "s"));
        ActiveTriggers[] self = new ActiveTriggers[1];
        AtomicBoolean oldSetWhileCreating = new AtomicBoolean();
        Consumer<Collection<String>> ensurer = names -> {
            created.add(List.copyOf(names));
            if (self[0] != null) {
                oldSetWhileCreating.set(self[0].get() == first);
            }
        };
        self[0] = new ActiveTriggers(first, topics, ensurer, registry);

        assertThat(self[0].offer(second)).isTrue();

        assertThat(created).containsExactly(List.of("agent.agent-a.requests"), List.of("agent.agent-b.requests"));
        assertThat(oldSetWhileCreating).isTrue();
        assertThat(self[0].get()).isSameAs(second);
        assertThat(registry.get(ActiveTriggers.RELOADS).counter().count()).isEqualTo(1);
    }

    @Test
    void keepsTheLastGoodSetWhenTopicCreationFailsAndRetriesLater() {
        TriggerSet first = set(trigger("a", "agent-a", "s"));
        TriggerSet second = set(trigger("b", "agent-b", "s"));
        AtomicBoolean brokerDown = new AtomicBoolean(false);
        ActiveTriggers active = new ActiveTriggers(first, topics, names -> {
            if (brokerDown.get()) {
                throw new IllegalStateException("cannot create topics");
            }
        }, registry);
        brokerDown.set(true);

        assertThat(active.offer(second)).isFalse();
        assertThat(active.get()).isSameAs(first);
        assertThat(failures()).isEqualTo(1);

        brokerDown.set(false);
        active.retryPending();
        assertThat(active.get()).isSameAs(second);
    }

    @Test
    void refusesASetWithAnAgentNameIllegalForTheTopicTemplate() {
        TopicCatalogue longTemplate = TopicCatalogue.fromEnv(
                Map.of(TopicCatalogue.AGENT_TOPIC_TEMPLATE_ENV, "x".repeat(200) + ".{agent}"));
        TriggerSet first = set(trigger("a", "a", "s"));
        ActiveTriggers active = new ActiveTriggers(first, longTemplate, names -> { }, registry);

        assertThat(active.offer(set(trigger("b", "b".repeat(60), "s")))).isFalse();
        active.retryPending();

        assertThat(active.get()).isSameAs(first);
        assertThat(failures()).isEqualTo(1);
    }

    @Test
    void failsAtStartForAnIllegalAgentName() {
        TopicCatalogue longTemplate = TopicCatalogue.fromEnv(
                Map.of(TopicCatalogue.AGENT_TOPIC_TEMPLATE_ENV, "x".repeat(200) + ".{agent}"));

        assertThatThrownBy(() -> new ActiveTriggers(set(trigger("b", "b".repeat(60), "s")), longTemplate,
                names -> { }, registry)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("agent name");
    }

    @Test
    void countsAnInvalidTriggerChange() {
        ActiveTriggers active = new ActiveTriggers(set(trigger("a", "agent-a", "s")), topics, names -> { }, registry);

        active.rejected(new TriggerConfigException(null, "a", "spec.agent", "is required"));

        assertThat(failures()).isEqualTo(1);
    }
}
