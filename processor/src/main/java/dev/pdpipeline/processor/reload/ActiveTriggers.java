package dev.pdpipeline.processor.reload;

import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerConfigException;
import dev.pdpipeline.common.trigger.TriggerSet;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trigger set the topology routes with, swapped in only when it is safe: every agent topic
 * it needs exists first, so the dynamic sink never meets a missing topic. A set that cannot be
 * applied (illegal agent name for the configured topic template, topic creation failing) is
 * refused and the last good set stays; a failed topic creation is retried by {@link #retryPending()}.
 */
public final class ActiveTriggers implements Supplier<TriggerSet> {

    private static final Logger LOG = LoggerFactory.getLogger(ActiveTriggers.class);

    public static final String RELOADS = "pdpipeline.processor.triggers.reloads";
    public static final String RELOAD_FAILURES = "pdpipeline.processor.triggers.reload.failures";
    public static final String ENABLED = "pdpipeline.processor.triggers.enabled";

    private final TopicCatalogue topics;
    private final Consumer<TriggerSet> validator;
    private final Consumer<Collection<String>> topicEnsurer;
    private final Set<String> ensuredTopics = new LinkedHashSet<>();
    private final Counter reloads;
    private final Counter failures;

    private volatile TriggerSet current;
    private TriggerSet pending;

    /**
     * Applies {@code initial} (creating its topics) or throws, so a service never starts with a set
     * it cannot serve.
     *
     * @param topicEnsurer creates the given agent topics if missing and returns once they take
     *                     records; throws when it cannot
     * @throws IllegalArgumentException when an agent name makes no legal topic with the template
     */
    public ActiveTriggers(TriggerSet initial, TopicCatalogue topics, Consumer<Collection<String>> topicEnsurer,
            MeterRegistry registry) {
        this(initial, topics, set -> { }, topicEnsurer, registry);
    }

    /**
     * As {@link #ActiveTriggers(TriggerSet, TopicCatalogue, Consumer, MeterRegistry)}, every set
     * (the initial one and each reload) first going through {@code validator}: the same checks
     * a set passes at start, so a reload can never bring in what a start would refuse.
     *
     * @param validator throws (with a message naming the trigger and field) for a set that must
     *                  not be used
     */
    public ActiveTriggers(TriggerSet initial, TopicCatalogue topics, Consumer<TriggerSet> validator,
            Consumer<Collection<String>> topicEnsurer, MeterRegistry registry) {
        this.topics = Objects.requireNonNull(topics, "topics");
        this.validator = Objects.requireNonNull(validator, "validator");
        this.topicEnsurer = Objects.requireNonNull(topicEnsurer, "topicEnsurer");
        Objects.requireNonNull(registry, "registry");
        this.reloads = Counter.builder(RELOADS).description("Trigger reloads applied by the processor")
                .register(registry);
        this.failures = Counter.builder(RELOAD_FAILURES)
                .description("Trigger reloads refused by the processor; the last good set stays in use")
                .register(registry);
        validator.accept(Objects.requireNonNull(initial, "initial"));
        ensureTopicsOf(initial);
        this.current = initial;
        Gauge.builder(ENABLED, this, a -> a.get().enabled().size())
                .description("Enabled triggers the processor routes with").register(registry);
    }

    /** The set in force; read for every record. */
    @Override
    public TriggerSet get() {
        return current;
    }

    /** The agent topics of every trigger (enabled or not) of a set, in trigger order. */
    public Set<String> agentTopics(TriggerSet set) {
        Set<String> out = new LinkedHashSet<>();
        for (Trigger t : set.triggers()) {
            t.targets().forEach(target -> out.add(topics.agentTopic(target.name())));
        }
        return out;
    }

    /**
     * Applies a new set after creating the agent topics it adds.
     *
     * @return whether it is now in force
     */
    public synchronized boolean offer(TriggerSet next) {
        Objects.requireNonNull(next, "next");
        try {
            validator.accept(next);
        } catch (RuntimeException e) {
            failures.increment();
            pending = null;
            LOG.error("Refusing the reloaded triggers, keeping the previous {}: {}", current.triggers().size(),
                    e.getMessage());
            return false;
        }
        try {
            ensureTopicsOf(next);
        } catch (IllegalArgumentException e) {
            failures.increment();
            pending = null;
            LOG.error("Refusing the reloaded triggers, keeping the previous {}: {}", current.triggers().size(),
                    e.getMessage());
            return false;
        } catch (RuntimeException e) {
            failures.increment();
            pending = next;
            LOG.error("Cannot create the agent topics of the reloaded triggers, keeping the previous {} and"
                    + " retrying: {}", current.triggers().size(), e.toString());
            return false;
        }
        pending = null;
        current = next;
        reloads.increment();
        LOG.info("Routing with {} trigger(s) now ({} enabled): {}", next.triggers().size(), next.enabled().size(),
                next.triggers().stream().map(Trigger::name).toList());
        return true;
    }

    /** Counts an invalid trigger change (the watcher keeps the last good set). */
    public void rejected(TriggerConfigException e) {
        failures.increment();
        LOG.error("Reloaded trigger files are invalid, keeping the previous {} trigger(s): {}",
                current.triggers().size(), e.getMessage());
    }

    /** Tries again to apply a set whose topics could not be created. */
    public synchronized void retryPending() {
        if (pending != null) {
            offer(pending);
        }
    }

    private void ensureTopicsOf(TriggerSet set) {
        Set<String> needed = agentTopics(set); // IllegalArgumentException for an illegal agent name
        needed.removeAll(ensuredTopics);
        if (!needed.isEmpty()) {
            topicEnsurer.accept(needed);
            ensuredTopics.addAll(needed);
        }
    }
}
