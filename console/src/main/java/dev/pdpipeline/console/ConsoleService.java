package dev.pdpipeline.console;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.common.trigger.TriggerWatcher;
import dev.pdpipeline.console.action.RedriveAction;
import dev.pdpipeline.console.action.ReplayAction;
import dev.pdpipeline.console.feed.TopicFeeder;
import dev.pdpipeline.console.index.ConsoleIndex;
import dev.pdpipeline.console.web.ConsoleServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console as one running part: the index fed from the topics, the Trigger files watched,
 * the HTTP server. What {@code bin/pipeline console} and {@code bin/pipeline local} start.
 */
public final class ConsoleService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleService.class);
    private static final Duration TRIGGERS_RELOAD = Duration.ofSeconds(2);

    private final List<AutoCloseable> running;
    private final ConsoleServer server;
    private final TopicFeeder feeder;
    private final ConsoleIndex index;
    private final Health health;

    private ConsoleService(List<AutoCloseable> running, ConsoleServer server, TopicFeeder feeder, ConsoleIndex index,
            Health health) {
        this.running = running;
        this.server = server;
        this.feeder = feeder;
        this.index = index;
        this.health = health;
    }

    /**
     * Starts the console.
     *
     * @param replay  the replay action, or null
     * @param redrive the re-drive action, or null
     */
    public static ConsoleService start(ConsoleConfig config, ReplayAction replay, RedriveAction redrive) {
        LOG.info("Starting the console: {}", config);
        Health health = new Health();
        List<AutoCloseable> running = new ArrayList<>();
        try {
            Supplier<TriggerSet> triggers;
            if (config.triggersPath() != null) {
                TriggerWatcher watcher = new TriggerWatcher(config.triggersPath(),
                        new TriggerLoader(config.environment()), TRIGGERS_RELOAD,
                        set -> LOG.info("Console: {} Trigger(s) in force after a change", set.triggers().size()),
                        e -> LOG.warn("Console: the changed Trigger files are invalid, keeping the last good ones: {}",
                                e.getMessage()));
                watcher.start();
                running.add(0, watcher);
                triggers = watcher::current;
            } else {
                triggers = TriggerSet::empty;
            }
            ConsoleIndex index = new ConsoleIndex(config.maxDeliveries(), config.maxIncidents(), config.maxDeadLetters());
            TopicFeeder feeder = TopicFeeder.start(config.kafka(), config.topics(), index, health.register("console-index"));
            running.add(0, feeder);
            ConsoleServer server = ConsoleServer.start(config.host(), config.port(), config.adminToken(),
                    new ConsoleServer.Dependencies(index, triggers,
                            config.triggersPath() == null ? null : config.triggersPath().toString(),
                            config.defaultApiTokenSet(), config.topics().deadLetter(),
                            config.topics().resultsDeadLetter(), replay, redrive, Clock.systemUTC(),
                            () -> healthView(health)));
            running.add(0, server);
            return new ConsoleService(running, server, feeder, index, health);
        } catch (RuntimeException e) {
            closeAll(running);
            throw e;
        }
    }

    /** {@code {"console-index": {"state": "UP", "reason": null}}}: what /api/status shows. */
    private static java.util.Map<String, ?> healthView(Health health) {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        health.parts().forEach((part, status) -> {
            java.util.Map<String, Object> s = new java.util.LinkedHashMap<>();
            s.put("state", status.state().name());
            s.put("reason", status.reason());
            out.put(part, s);
        });
        return out;
    }

    public int port() {
        return server.port();
    }

    public ConsoleIndex index() {
        return index;
    }

    /** The console's parts (its index feeder) and the first failure. */
    public Health health() {
        return health;
    }

    /** Waits until the index holds what the topics held when the console started. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return feeder.awaitCaughtUp(timeout);
    }

    @Override
    public void close() {
        closeAll(running);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                LOG.warn("Error while closing {}: {}", r.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
