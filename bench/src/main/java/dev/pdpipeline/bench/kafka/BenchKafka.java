package dev.pdpipeline.bench.kafka;

import dev.pdpipeline.common.kafka.EmbeddedKafka;
import dev.pdpipeline.common.kafka.TopicAdmin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The broker a benchmark runs against: an in-process {@link EmbeddedKafka} by default, or an
 * existing one ({@code --bootstrap}). Topic names carry a run id, so that several scenarios (and
 * the smoke test) can share one broker without seeing each other's records.
 */
public final class BenchKafka implements AutoCloseable {

    private final EmbeddedKafka embedded;
    private final String bootstrap;
    private final Admin admin;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicInteger names = new AtomicInteger();

    private BenchKafka(EmbeddedKafka embedded, String bootstrap) {
        this.embedded = embedded;
        this.bootstrap = bootstrap;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        this.admin = Admin.create(props);
    }

    /** Starts an embedded broker when {@code bootstrap} is null or blank, else uses that one. */
    public static BenchKafka start(String bootstrap) {
        if (bootstrap != null && !bootstrap.isBlank()) {
            return new BenchKafka(null, bootstrap.trim());
        }
        EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).start();
        return new BenchKafka(kafka, kafka.bootstrapServers());
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    public Admin admin() {
        return admin;
    }

    /** A topic (or group, application id) name unique to this run. */
    public String unique(String base) {
        return "bench." + base + "." + runId + "-" + names.incrementAndGet();
    }

    /** Creates the topics (and waits until they answer). */
    public void createTopics(int partitions, String... topics) {
        List<NewTopic> list = new ArrayList<>();
        for (String t : topics) {
            list.add(new NewTopic(t, partitions, (short) 1));
        }
        TopicAdmin.ensureTopics(admin, list, Duration.ofSeconds(60));
    }

    /** A read_committed consumer, assigned to every partition of the topics (no group). */
    public KafkaConsumer<byte[], byte[]> committedReader(List<String> topics, boolean fromEnd) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
        }
        consumer.assign(partitions);
        if (fromEnd) {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve now, not at the first poll
        } else {
            consumer.seekToBeginning(partitions);
        }
        return consumer;
    }

    /** The common client settings of benchmark components ({@code KAFKA_BOOTSTRAP_SERVERS}). */
    public Map<String, String> clientEnv() {
        return Map.of("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
        if (embedded != null) {
            embedded.close();
        }
    }
}
