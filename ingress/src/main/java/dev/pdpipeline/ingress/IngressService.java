package dev.pdpipeline.ingress;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.topics.TopicDurability;
import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.common.trigger.TriggerConfigException;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.common.trigger.TriggerWatcher;
import dev.pdpipeline.ingress.http.AccessGuard;
import dev.pdpipeline.ingress.http.WebhookEndpoint;
import dev.pdpipeline.ingress.http.WebhookServer;
import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.publish.PartitionedPublisher;
import dev.pdpipeline.ingress.publish.RawTopicMonitor;
import dev.pdpipeline.ingress.signature.SecretRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running ingress: trigger secrets (hot-reloaded), the Kafka producer, the raw-topic readiness
 * monitor and the webhook listener, started in that order and stopped in reverse.
 *
 * <p>Start fails fast on what an operator must fix (invalid or no triggers, unbindable port) but
 * not on Kafka being down: the raw topic is ensured in the background and the webhook answers 503
 * until it is ready, so that PagerDuty retries rather than drops.
 */
public final class IngressService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IngressService.class);
    /** Extra time, on top of the publish timeout, that stopping waits for requests in flight. */
    static final Duration DRAIN_MARGIN = Duration.ofSeconds(2);

    private final IngressConfig config;
    private final TriggerWatcher watcher;
    private final PartitionedPublisher publisher;
    private final RawTopicMonitor monitor;
    private final WebhookServer server;
    private final AtomicBoolean closed;

    /** Health part of the Kafka producer. */
    public static final String PRODUCER_PART = "ingress-producer";
    /** Health part of the webhook listener. */
    public static final String HTTP_PART = "ingress-http";
    private static final Duration RAW_TOPIC_PLAN_TIMEOUT = Duration.ofSeconds(10);

    private IngressService(IngressConfig config, TriggerWatcher watcher, PartitionedPublisher publisher,
            RawTopicMonitor monitor, WebhookServer server, AtomicBoolean closed) {
        this.closed = closed;
        this.config = config;
        this.watcher = watcher;
        this.publisher = publisher;
        this.monitor = monitor;
        this.server = server;
    }

    /**
     * Starts the ingress.
     *
     * @throws TriggerConfigException when the trigger files are invalid
     * @throws IllegalStateException  when there are no triggers, or the port cannot be bound
     */
    public static IngressService start(IngressConfig config, MeterRegistry registry) {
        return start(config, registry, new Health());
    }

    /**
     * As {@link #start(IngressConfig, MeterRegistry)}, reporting the producer (part
     * {@value #PRODUCER_PART}: fenced, not authorised, unsupported or closed is a failure) and the
     * webhook listener (part {@value #HTTP_PART}: stopped without a close) to {@code health}. A
     * broker briefly away is not a failure: the webhook answers 503 and readiness says so.
     */
    public static IngressService start(IngressConfig config, MeterRegistry registry, Health health) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(health, "health");
        LOG.info("Starting ingress: {}", config);
        if (config.maxBodyBytes() < IngressConfig.PAGERDUTY_MAX_BODY_BYTES) {
            LOG.warn("{}={} is below the {} bytes PagerDuty may send: larger deliveries get 413, which PagerDuty"
                    + " does not retry", IngressConfig.MAX_BODY_BYTES, config.maxBodyBytes(),
                    IngressConfig.PAGERDUTY_MAX_BODY_BYTES);
        }
        IngressMetrics metrics = new IngressMetrics(registry);
        List<AutoCloseable> started = new ArrayList<>();
        try {
            SecretsHolder secrets = new SecretsHolder(metrics);
            TriggerWatcher watcher = new TriggerWatcher(config.triggersPath(),
                    new TriggerLoader(config.environment()), config.triggersReloadInterval(),
                    secrets::onChange, secrets::onError);
            started.add(watcher);
            TriggerSet initial = watcher.start();
            if (initial.isEmpty() || initial.webhookSecrets().isEmpty()) {
                throw new IllegalStateException("no PagerDuty triggers found in " + IngressConfig.TRIGGERS_PATH + "="
                        + config.triggersPath() + ": every delivery would be rejected; add a Trigger file");
            }
            secrets.init(initial);
            TriggerSet latest = watcher.current();
            if (latest != initial) {
                secrets.onChange(latest); // reloaded between start() and init()
            }

            TopicPlan plan = config.topicPlan();
            TopicDurability durability = new TopicDurability(registry);
            RawTopicMonitor monitor = new RawTopicMonitor(Admin.create(adminProperties(config)),
                    plan.topic(TopicPlan.Role.RAW, 1).toNewTopic(), admin -> {
                        // the plan's replication depends on the cluster: decided once Kafka answers
                        int brokers = TopicPlan.brokerCount(admin, RAW_TOPIC_PLAN_TIMEOUT);
                        durability.check(admin, brokers, List.of(config.topics().raw()), RAW_TOPIC_PLAN_TIMEOUT);
                        return plan.topic(TopicPlan.Role.RAW, brokers).toNewTopic();
                    }, config.readinessCheckInterval());
            started.add(monitor);
            monitor.start();
            // one producer per raw partition: a broker fault on some partitions cannot stall the others
            PartitionedPublisher publisher = PartitionedPublisher.create(config.kafkaProperties(),
                    config.topics().raw(), config.publishTimeout(), config.maxBodyBytes(), monitor);
            started.add(publisher);
            AtomicBoolean closing = new AtomicBoolean();
            Health.Part producerPart = health.register(PRODUCER_PART);
            publisher.onFatal(e -> {
                if (!closing.get()) {
                    producerPart.failed("Kafka producer cannot publish any more: " + Health.describe(e));
                }
            });

            metrics.bindGauges(secrets.registry()::size, monitor::isReady);
            metrics.bindUnavailablePartitions(monitor::unavailablePartitions);
            WebhookEndpoint endpoint = new WebhookEndpoint(secrets.registry(), publisher, monitor::isReady, metrics,
                    config.maxBodyBytes(), config.publishTimeout(), config.slowClientLimits().bodyTimeout(),
                    Clock.systemUTC());
            AccessGuard guard = new AccessGuard(config.allowedCidrs(), config.trustForwardedFor(),
                    config.trustedProxies(), config.requiredHeaderName().orElse(null), config.requiredHeaderValue(),
                    metrics);
            WebhookServer server = WebhookServer.start(config.bindHost(), config.port(), endpoint, metrics,
                    config.maxBodyBytes(), config.publishTimeout().plus(DRAIN_MARGIN),
                    new WebhookServer.Options(config.idleTimeout(), config.tls().orElse(null), guard,
                            config.slowClientLimits()));
            Health.Part httpPart = health.register(HTTP_PART);
            server.onUnexpectedStop(why -> {
                if (!closing.get()) {
                    httpPart.failed("webhook listener stopped: " + why);
                }
            });
            IngressService service = new IngressService(config, watcher, publisher, monitor, server, closing);
            return service;
        } catch (RuntimeException e) {
            for (int i = started.size() - 1; i >= 0; i--) {
                closeQuietly(started.get(i));
            }
            throw e;
        }
    }

    /** The webhook port actually bound. */
    public int port() {
        return server.port();
    }

    /** Whether Kafka is reachable and the raw topic verified (and the service not closed). */
    public boolean isReady() {
        return !closed.get() && monitor.isReady();
    }

    /**
     * Stops gracefully: the listener stops accepting and finishes requests in flight (each bounded
     * by the publish timeout), then the producer flushes and closes.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("Stopping ingress");
        closeQuietly(server);
        closeQuietly(watcher);
        try {
            publisher.close(config.publishTimeout().plus(DRAIN_MARGIN));
        } catch (RuntimeException e) {
            LOG.warn("Closing the Kafka producer failed: {}", e.toString());
        }
        closeQuietly(monitor);
        LOG.info("Ingress stopped");
    }

    /** The raw topic as the plan creates it on a cluster of {@code brokers}. */
    static NewTopic rawTopic(IngressConfig config, int brokers) {
        return config.topicPlan().topic(TopicPlan.Role.RAW, brokers).toNewTopic();
    }

    /** The pass-through properties an Admin client understands, with bounded timeouts. */
    static Properties adminProperties(IngressConfig config) {
        Properties props = new Properties();
        config.kafkaProperties().forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(String.valueOf(k))) {
                props.put(k, v);
            }
        });
        props.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "pdpipeline-ingress-admin");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        return props;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.warn("Closing {} failed: {}", closeable.getClass().getSimpleName(), e.toString());
        }
    }

    /** Applies trigger reloads to the accepted secrets; a bad or empty reload keeps the last good ones. */
    private static final class SecretsHolder {
        private final IngressMetrics metrics;
        private volatile SecretRegistry registry;

        SecretsHolder(IngressMetrics metrics) {
            this.metrics = metrics;
        }

        void init(TriggerSet initial) {
            registry = SecretRegistry.of(initial.webhookSecrets());
            LOG.info("Accepting {} webhook secret(s) from {} trigger(s), fingerprints {}", registry.size(),
                    initial.triggers().size(), registry.fingerprints());
        }

        SecretRegistry registry() {
            return registry;
        }

        void onChange(TriggerSet set) {
            SecretRegistry current = registry;
            if (current == null) {
                return; // initial load still in progress; init() applies it
            }
            if (set.webhookSecrets().isEmpty()) {
                metrics.triggerReloadFailed();
                LOG.error("Trigger reload found no triggers; keeping the last {} webhook secret(s) (fingerprints {}) "
                        + "so that deliveries are not rejected", current.size(), current.fingerprints());
                return;
            }
            current.replace(set.webhookSecrets());
            metrics.triggerReloaded();
            LOG.info("Triggers reloaded: accepting {} webhook secret(s) from {} trigger(s), fingerprints {}",
                    current.size(), set.triggers().size(), current.fingerprints());
        }

        void onError(TriggerConfigException e) {
            metrics.triggerReloadFailed();
            SecretRegistry current = registry;
            LOG.error("Trigger reload failed, keeping the last good webhook secrets ({}): {}",
                    current == null ? 0 : current.size(), e.getMessage());
        }
    }
}
