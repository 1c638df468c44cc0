package dev.pdpipeline.common.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real multi-broker KRaft cluster in this JVM for fault tests: one controller and N brokers
 * (separate nodes; combined nodes crash their KRaft threads when stopped and started), replication
 * N, {@code min.insync.replicas} N-1. Brokers can be stopped and started again with their data.
 *
 * <p>Built on Kafka's own {@code KafkaClusterTestKit}; slow to start (several seconds), so tests
 * using it are tagged {@code slow}.
 */
public final class KafkaCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaCluster.class);

    private final KafkaClusterTestKit kit;
    private final int brokers;

    private KafkaCluster(KafkaClusterTestKit kit, int brokers) {
        this.kit = kit;
        this.brokers = brokers;
    }

    /** Starts {@code brokers} brokers (at least 2) and waits until all are ready. */
    public static KafkaCluster start(int brokers) {
        if (brokers < 2) {
            throw new IllegalArgumentException("a fault cluster needs at least 2 brokers, got " + brokers);
        }
        String replication = Integer.toString(brokers);
        String minIsr = Integer.toString(brokers - 1);
        try {
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setCombined(false)
                    .setNumControllerNodes(1)
                    .setNumBrokerNodes(brokers)
                    .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                    .build();
            KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(nodes)
                    .setConfigProp("default.replication.factor", replication)
                    .setConfigProp("min.insync.replicas", minIsr)
                    .setConfigProp("offsets.topic.replication.factor", replication)
                    .setConfigProp("transaction.state.log.replication.factor", replication)
                    .setConfigProp("transaction.state.log.min.isr", minIsr)
                    .setConfigProp("unclean.leader.election.enable", "false")
                    .setConfigProp("auto.create.topics.enable", "false")
                    // a stopped broker is fenced after 3 s instead of 9 s, so restarts settle sooner
                    .setConfigProp("broker.session.timeout.ms", "3000")
                    .setConfigProp("broker.heartbeat.interval.ms", "500")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .build();
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
            KafkaCluster cluster = new KafkaCluster(kit, brokers);
            log.info("Started a {}-broker Kafka cluster at {}", brokers, kit.bootstrapServers());
            return cluster;
        } catch (Exception e) {
            throw new IllegalStateException("could not start a " + brokers + "-broker Kafka cluster", e);
        }
    }

    /** Bootstrap servers of the brokers as started (a restarted broker may listen on a new port). */
    public String bootstrapServers() {
        return kit.bootstrapServers();
    }

    /** Broker ids, in order. */
    public List<Integer> brokerIds() {
        return new ArrayList<>(kit.brokers().keySet()).stream().sorted().toList();
    }

    /** Stops broker {@code id} (controlled shutdown: leadership moves, it leaves the ISRs). */
    public void stopBroker(int id) {
        BrokerServer broker = broker(id);
        log.info("Stopping broker {}", id);
        broker.shutdown();
        broker.awaitShutdown();
    }

    /** Starts broker {@code id} again with its data. */
    public void startBroker(int id) {
        log.info("Starting broker {}", id);
        broker(id).startup();
    }

    /** Waits until every partition of {@code topic} has all {@code brokers} replicas in sync. */
    public void awaitFullyReplicated(String topic, Duration atMost) {
        Objects.requireNonNull(topic, "topic");
        try (Admin admin = kit.admin()) {
            Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS)
                        .get(topic);
                return d.partitions().stream().map(TopicPartitionInfo::isr).allMatch(isr -> isr.size() == brokers);
            });
        }
    }

    /** An admin client for the cluster (the caller closes it). */
    public Admin admin() {
        return kit.admin(Map.of());
    }

    private BrokerServer broker(int id) {
        BrokerServer broker = kit.brokers().get(id);
        if (broker == null) {
            throw new IllegalArgumentException("no broker " + id + "; brokers are " + brokerIds());
        }
        return broker;
    }

    @Override
    public void close() {
        try {
            kit.close();
        } catch (Exception e) {
            log.warn("Closing the Kafka cluster failed: {}", e.toString());
        }
    }
}
