package dev.pdpipeline.common.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import dev.pdpipeline.common.kafka.EmbeddedKafka;
import dev.pdpipeline.common.kafka.TopicAdmin;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.AppInfoParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka broker of a test JVM: one for all integration tests, started on first use and
 * stopped by a shutdown hook. Testcontainers' {@code apache/kafka} when a Docker engine is
 * available, otherwise an {@link EmbeddedKafka} in this JVM; the same tests run on both, and the
 * log says which one they got.
 *
 * <p>The system property {@code pdpipeline.test.kafka} ({@code auto}, {@code in-process} or
 * {@code testcontainers}) forces one. Tests share the broker, so they use
 * {@link #uniqueTopic(String)} and fresh group ids rather than fixed names.
 */
public final class TestKafka {

    private static final Logger log = LoggerFactory.getLogger(TestKafka.class);

    /** System property that picks the broker: auto (default), in-process or testcontainers. */
    public static final String MODE_PROPERTY = "pdpipeline.test.kafka";
    /** The image used when Docker is available. */
    public static final String KAFKA_IMAGE = "apache/kafka:4.1.0";
    public static final String IN_PROCESS = "in-process";
    public static final String TESTCONTAINERS = "testcontainers";

    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicLong TOPIC_COUNTER = new AtomicLong();

    private static volatile TestKafka shared;

    private final String bootstrapServers;
    private final String kind;
    private final AutoCloseable broker;
    private final Admin admin;

    private TestKafka(String bootstrapServers, String kind, AutoCloseable broker) {
        this.bootstrapServers = bootstrapServers;
        this.kind = kind;
        this.broker = broker;
        Properties adminProps = new Properties();
        adminProps.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        this.admin = Admin.create(adminProps);
    }

    /** The broker of this JVM, started on first call. */
    public static TestKafka shared() {
        TestKafka result = shared;
        if (result == null) {
            synchronized (TestKafka.class) {
                result = shared;
                if (result == null) {
                    result = start();
                    shared = result;
                    TestKafka toStop = result;
                    Runtime.getRuntime().addShutdownHook(new Thread(toStop::stop, "test-kafka-shutdown"));
                }
            }
        }
        return result;
    }

    private static TestKafka start() {
        String mode = System.getProperty(MODE_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        boolean useDocker;
        switch (mode) {
            case "auto", "" -> {
                useDocker = Containers.dockerAvailable();
                if (!useDocker) {
                    log.info("No Docker engine found; the tests use an in-process Kafka broker");
                }
            }
            case IN_PROCESS -> useDocker = false;
            case TESTCONTAINERS -> useDocker = true;
            default -> throw new IllegalArgumentException("system property " + MODE_PROPERTY
                    + " must be auto, in-process or testcontainers, was '" + mode + "'");
        }
        TestKafka kafka;
        if (useDocker) {
            AutoCloseable container = Containers.startKafka(KAFKA_IMAGE);
            kafka = new TestKafka(Containers.bootstrapServers(container), TESTCONTAINERS, container);
            log.info("Kafka for tests: Testcontainers {} at {}", KAFKA_IMAGE, kafka.bootstrapServers());
        } else {
            EmbeddedKafka embedded = EmbeddedKafka.builder().start();
            kafka = new TestKafka(embedded.bootstrapServers(), IN_PROCESS, embedded);
            log.info("Kafka for tests: in-process KRaft broker {} at {}", AppInfoParser.getVersion(),
                    kafka.bootstrapServers());
        }
        return kafka;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** {@code "in-process"} or {@code "testcontainers"}. */
    public String kind() {
        return kind;
    }

    /** An Admin client of this broker, shared; do not close it. */
    public Admin admin() {
        return admin;
    }

    /**
     * A topic name no other test uses: {@code prefix-<counter>-<random>}, with characters that
     * are not legal in topic names replaced by {@code _}.
     */
    public String uniqueTopic(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        String clean = prefix.replaceAll("[^a-zA-Z0-9._-]", "_");
        if (clean.isEmpty()) {
            clean = "topic";
        }
        String suffix = "-" + TOPIC_COUNTER.incrementAndGet() + "-"
                + Long.toString(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE), 36);
        int maxPrefix = 249 - suffix.length();
        return (clean.length() > maxPrefix ? clean.substring(0, maxPrefix) : clean) + suffix;
    }

    /** Creates the topics (if missing) and waits until they take records. */
    public void createTopics(int partitions, String... topics) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        List<NewTopic> newTopics = Arrays.stream(topics)
                .map(t -> new NewTopic(Objects.requireNonNull(t, "topic"), partitions, (short) 1))
                .collect(Collectors.toList());
        TopicAdmin.ensureTopics(admin, newTopics, TOPIC_TIMEOUT);
    }

    /** Producer settings: byte[] serializers, acks=all, idempotent. */
    public Properties producerProps() {
        Properties props = new Properties();
        props.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.setProperty(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.setProperty(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        props.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return props;
    }

    /** Consumer settings: byte[] deserializers, from the earliest offset, read_committed. */
    public Properties consumerProps(String groupId) {
        Objects.requireNonNull(groupId, "groupId");
        Properties props = new Properties();
        props.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.setProperty(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.setProperty(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.setProperty(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    /**
     * Reads the topic from the beginning (all partitions, read_committed, a fresh group that
     * commits nothing) until at least {@code expected} records were seen.
     *
     * @throws AssertionError when fewer arrive within {@code timeout}; says how many did
     */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected, Duration timeout) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(timeout, "timeout");
        Properties props = consumerProps("test-read-all-" + UUID.randomUUID());
        props.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
            if (partitions == null || partitions.isEmpty()) {
                throw new AssertionError("topic " + topic + " has no partitions (does it exist?)");
            }
            List<TopicPartition> assignment = partitions.stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .collect(Collectors.toList());
            consumer.assign(assignment);
            consumer.seekToBeginning(assignment);
            while (seen.size() < expected) {
                long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
                if (remainingMs <= 0) {
                    throw new AssertionError("expected at least " + expected + " records on " + topic
                            + " within " + timeout.toMillis() + " ms, saw " + seen.size());
                }
                consumer.poll(Duration.ofMillis(Math.min(remainingMs, 200))).forEach(seen::add);
            }
        }
        return seen;
    }

    private void stop() {
        try {
            admin.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            log.debug("Closing the test Admin client failed: {}", e.toString());
        }
        try {
            broker.close();
        } catch (Exception e) {
            log.warn("Stopping the {} test Kafka at {} failed: {}", kind, bootstrapServers, e.toString());
        }
    }

    @Override
    public String toString() {
        return "TestKafka[" + kind + " at " + bootstrapServers + "]";
    }

    /**
     * Everything that touches Testcontainers, kept apart so that a module without Testcontainers
     * on its test class path still gets the in-process broker.
     */
    private static final class Containers {

        static boolean dockerAvailable() {
            try {
                return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
            } catch (LinkageError e) {
                log.info("Testcontainers is not on the test class path ({}); using the in-process broker",
                        e.toString());
                return false;
            } catch (RuntimeException e) {
                log.info("Docker check failed ({}); using the in-process broker", e.toString());
                return false;
            }
        }

        static AutoCloseable startKafka(String image) {
            org.testcontainers.kafka.KafkaContainer container = new org.testcontainers.kafka.KafkaContainer(image)
                    // Exactly-once and consumer groups on one node (see docs/testing.md).
                    .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
                    .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
                    .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                    .withEnv("KAFKA_NUM_PARTITIONS", "3")
                    .withEnv("KAFKA_LOG_RETENTION_HOURS", "720");
            container.start();
            return container;
        }

        static String bootstrapServers(AutoCloseable container) {
            return ((org.testcontainers.kafka.KafkaContainer) container).getBootstrapServers();
        }
    }
}
