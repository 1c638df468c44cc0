package dev.pdpipeline.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.builder().start();
    }

    @AfterAll
    static void stopBroker() {
        Path dataDir = kafka.dataDir();
        kafka.close();
        assertThat(dataDir).as("temporary data dir is deleted on close").doesNotExist();
    }

    @Test
    void startsOnAFreePortAndRoundTripsIdempotentRecords() {
        assertThat(kafka.bootstrapServers()).matches("localhost:\\d+").doesNotEndWith(":0");
        String topic = "round-trip-" + UUID.randomUUID();
        try (Admin admin = admin(kafka)) {
            TopicAdmin.ensureTopics(admin, List.of(new NewTopic(topic, 3, (short) 1)), TIMEOUT);
            assertThat(TopicAdmin.isTopicReady(admin, topic, Duration.ofSeconds(5))).isTrue();
            assertThat(TopicAdmin.isTopicReady(admin, "absent-" + UUID.randomUUID(), Duration.ofMillis(300)))
                    .isFalse();
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(kafka))) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
            }
            producer.flush();
        }
        assertThat(values(readCommitted(kafka, topic, 10)))
                .containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
    }

    @Test
    void readCommittedConsumerSeesCommittedButNotAbortedTransactions() {
        String topic = "eos-" + UUID.randomUUID();
        try (Admin admin = admin(kafka)) {
            TopicAdmin.ensureTopics(admin, List.of(new NewTopic(topic, 1, (short) 1)), TIMEOUT);
        }
        Properties props = producerProps(kafka);
        props.setProperty(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "eos-it-" + UUID.randomUUID());
        props.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed"));
            producer.commitTransaction();
        }
        // The aborted record and both transaction markers precede "committed"; reading one record
        // that is "committed" shows that read_committed skipped the aborted one.
        assertThat(values(readCommitted(kafka, topic, 1))).containsExactly("committed");
    }

    @Test
    void ensureTopicsLeavesExistingTopicsAlone() {
        String topic = "existing-" + UUID.randomUUID();
        try (Admin admin = admin(kafka)) {
            TopicAdmin.ensureTopics(admin, List.of(new NewTopic(topic, 2, (short) 1)), TIMEOUT);
            TopicAdmin.ensureTopics(admin, List.of(new NewTopic(topic, 5, (short) 1)), TIMEOUT);
            assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions())
                    .hasSize(2);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void ensureTopicsNamesTheTopicItCannotCreate() {
        try (Admin admin = admin(kafka)) {
            assertThatThrownBy(() -> TopicAdmin.ensureTopics(admin,
                    List.of(new NewTopic("bad-rf-" + UUID.randomUUID(), 1, (short) 3)), TIMEOUT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("bad-rf-");
        }
    }

    @Test
    void keptDataDirSurvivesARestartAndCloseReleasesThePort(@TempDir Path dataDir) throws IOException {
        int port = freePort();
        String topic = "kept-" + UUID.randomUUID();
        try (EmbeddedKafka first = EmbeddedKafka.builder().port(port).dataDir(dataDir).start()) {
            assertThat(first.bootstrapServers()).isEqualTo("localhost:" + port);
            try (Admin admin = admin(first)) {
                TopicAdmin.ensureTopics(admin, List.of(new NewTopic(topic, 1, (short) 1)), TIMEOUT);
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(first))) {
                producer.send(new ProducerRecord<>(topic, "k", "before-restart"));
            }
        }
        assertThat(dataDir).as("a given data dir is kept").isDirectory();
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("localhost"), port));
            assertThat(socket.isBound()).as("port %d is free after close", port).isTrue();
        }

        try (EmbeddedKafka second = EmbeddedKafka.builder().port(port).dataDir(dataDir).start()) {
            try (Admin admin = admin(second)) {
                assertThat(TopicAdmin.isTopicReady(admin, topic, TIMEOUT)).isTrue();
            }
            assertThat(values(readCommitted(second, topic, 1))).containsExactly("before-restart");
        }
        assertThat(Files.exists(dataDir.resolve(EmbeddedKafka.LOG_DIR_NAME).resolve("meta.properties"))).isTrue();
    }

    private static Admin admin(EmbeddedKafka broker) {
        Properties props = new Properties();
        props.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return Admin.create(props);
    }

    private static Properties producerProps(EmbeddedKafka broker) {
        Properties props = new Properties();
        props.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.setProperty(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.setProperty(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        props.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return props;
    }

    /** Consumes with a fresh consumer group (so group coordination is exercised too). */
    private static List<ConsumerRecord<String, String>> readCommitted(EmbeddedKafka broker, String topic,
            int expected) {
        Properties props = new Properties();
        props.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.setProperty(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.setProperty(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.setProperty(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, String>> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            while (seen.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
            }
        }
        assertThat(seen).as("records read from %s", topic).hasSize(expected);
        return seen;
    }

    private static List<String> values(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::value).toList();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("localhost"))) {
            return socket.getLocalPort();
        }
    }
}
