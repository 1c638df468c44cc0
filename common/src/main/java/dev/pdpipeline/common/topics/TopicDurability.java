package dev.pdpipeline.common.topics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, at start, that the topics whose loss would lose deliveries or write notes twice (raw,
 * request log, ledger, results, agent topics) can survive a broker: on a cluster of 3 or more
 * brokers each should have replication >= 3 and {@code min.insync.replicas} >= 2, else
 * {@code acks=all} only means "on one broker". A topic that falls short is logged as a WARN and
 * gauged ({@value #GAUGE} = 1). A cluster of fewer than 3 brokers (the local run) is not checked.
 */
public final class TopicDurability {

    private static final Logger LOG = LoggerFactory.getLogger(TopicDurability.class);

    /** Gauge per checked topic (tag {@code topic}): 1 when below replication 3 / min ISR 2 on 3+ brokers. */
    public static final String GAUGE = "pdpipeline.topic.durability.low";

    /** What was found for one topic; {@code minInsync} is the effective value (topic or broker default). */
    public record Finding(String topic, int replication, int minInsync) {
        public boolean low() {
            return replication < TopicPlan.DURABLE_REPLICATION || minInsync < TopicPlan.DURABLE_MIN_INSYNC;
        }
    }

    private final MeterRegistry registry;
    /**
     * The gauges per registry, shared by every checker on it: the local run's ingress and
     * processor check the same topics on one registry, and Micrometer keeps only the first gauge.
     */
    private static final Map<MeterRegistry, Map<String, AtomicInteger>> GAUGES =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    private final Map<String, AtomicInteger> gauges;

    public TopicDurability(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.gauges = GAUGES.computeIfAbsent(registry, r -> new ConcurrentHashMap<>());
    }

    /**
     * Checks {@code topics} (existing ones; absent topics are skipped) and returns the ones that
     * fall short; nothing is checked nor warned about on a cluster of fewer than 3 brokers.
     * Never throws: a check Kafka does not answer is logged and skipped.
     */
    public List<Finding> check(Admin admin, int brokers, Collection<String> topics, Duration timeout) {
        Objects.requireNonNull(admin, "admin");
        List<Finding> low = new ArrayList<>();
        if (topics.isEmpty()) {
            return low;
        }
        if (brokers < TopicPlan.DURABLE_REPLICATION) {
            topics.forEach(t -> gauge(t).set(0));
            LOG.debug("{} broker(s): topic durability not checked", brokers);
            return low;
        }
        for (Finding f : describe(admin, topics, timeout)) {
            gauge(f.topic()).set(f.low() ? 1 : 0);
            if (f.low()) {
                low.add(f);
                LOG.warn("Topic {} has replication {} and min.insync.replicas {} on a {}-broker cluster: an"
                                + " acknowledged record can be lost with one broker; want replication >= {} and"
                                + " min.insync.replicas >= {} (see docs/operations.md, Topics)", f.topic(),
                        f.replication(), f.minInsync(), brokers, TopicPlan.DURABLE_REPLICATION,
                        TopicPlan.DURABLE_MIN_INSYNC);
            }
        }
        return low;
    }

    /** Replication and effective min ISR of each existing topic among {@code topics}. */
    public static List<Finding> describe(Admin admin, Collection<String> topics, Duration timeout) {
        List<Finding> out = new ArrayList<>();
        try {
            Map<String, TopicDescription> described = new java.util.HashMap<>();
            for (String topic : topics) {
                try {
                    described.put(topic, admin.describeTopics(List.of(topic)).allTopicNames()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(topic));
                } catch (ExecutionException e) {
                    LOG.debug("Topic {} not described: {}", topic, e.getCause().toString());
                }
            }
            List<ConfigResource> resources = described.keySet().stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
            Map<ConfigResource, Config> configs = resources.isEmpty() ? Map.of()
                    : admin.describeConfigs(resources).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            for (Map.Entry<String, TopicDescription> e : described.entrySet()) {
                int replication = e.getValue().partitions().stream().mapToInt(p -> p.replicas().size()).min()
                        .orElse(0);
                Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, e.getKey()));
                ConfigEntry entry = config == null ? null : config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
                int minIsr = entry == null || entry.value() == null ? 1 : Integer.parseInt(entry.value());
                out.add(new Finding(e.getKey(), replication, minIsr));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("Could not check the replication of topics {}: {}", topics, e.toString());
        }
        return out;
    }

    private AtomicInteger gauge(String topic) {
        return gauges.computeIfAbsent(topic, t -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder(GAUGE, value, AtomicInteger::get)
                    .description("1 when a topic the service uses has replication < 3 or min.insync.replicas < 2"
                            + " on a cluster of 3 or more brokers, else 0")
                    .tag("topic", t)
                    .register(registry);
            return value;
        });
    }
}
