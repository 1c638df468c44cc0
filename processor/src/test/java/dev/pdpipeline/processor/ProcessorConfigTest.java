package dev.pdpipeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class ProcessorConfigTest {

    @Test
    void usesDocumentedDefaults() {
        ProcessorConfig config = ProcessorConfig.fromEnv(Map.of());

        assertThat(config.applicationId()).isEqualTo("pdpipeline-processor");
        assertThat(config.processingGuarantee()).isEqualTo("exactly_once_v2");
        assertThat(config.commitIntervalMs()).isEqualTo(100);
        assertThat(config.numStreamThreads()).isEqualTo(1);
        assertThat(config.dedupWindow()).isEqualTo(Duration.ofHours(72));
        assertThat(config.triggersReloadInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.triggersPath()).isEqualTo(Path.of("triggers"));
        assertThat(config.agentTopicPartitions()).isZero();
        assertThat(config.topicPlan().explicitReplication()).as("min(3, brokers)").isEmpty();
        assertThat(config.managementPort()).isEqualTo(8081);
        assertThat(config.topics().raw()).isEqualTo("pagerduty.webhooks.raw");
        assertThat(config.topics().deadLetter()).isEqualTo("pagerduty.webhooks.dlq");
        assertThat(config.stateDir()).isNotNull();
    }

    @Test
    void readsEveryVariable() {
        ProcessorConfig config = ProcessorConfig.fromEnv(Map.ofEntries(
                Map.entry("TRIGGERS_PATH", "/etc/triggers"),
                Map.entry("TRIGGERS_RELOAD_INTERVAL_MS", "1000"),
                Map.entry("APPLICATION_ID", "proc-b"),
                Map.entry("STATE_DIR", "/var/lib/proc"),
                Map.entry("PROCESSING_GUARANTEE", "at_least_once"),
                Map.entry("NUM_STREAM_THREADS", "4"),
                Map.entry("DEDUP_WINDOW_HOURS", "96"),
                Map.entry("AGENT_TOPIC_PARTITIONS", "12"),
                Map.entry("AGENT_TOPIC_REPLICATION", "3"),
                Map.entry("MANAGEMENT_PORT", "9000"),
                Map.entry("DLQ_TOPIC", "my.dlq")));

        assertThat(config.triggersPath()).isEqualTo(Path.of("/etc/triggers"));
        assertThat(config.applicationId()).isEqualTo("proc-b");
        assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/proc"));
        assertThat(config.exactlyOnce()).isFalse();
        assertThat(config.commitIntervalMs()).as("Kafka's at-least-once default").isEqualTo(30_000);
        assertThat(config.numStreamThreads()).isEqualTo(4);
        assertThat(config.dedupWindow()).isEqualTo(Duration.ofHours(96));
        assertThat(config.agentTopicPartitions()).isEqualTo(12);
        assertThat(config.topicPlan().replication(1)).as("AGENT_TOPIC_REPLICATION, an alias").isEqualTo((short) 3);
        assertThat(config.managementPort()).isEqualTo(9000);
        assertThat(config.topics().deadLetter()).isEqualTo("my.dlq");
    }

    @Test
    void rejectsBadValuesNamingTheVariable() {
        assertThatThrownBy(() -> ProcessorConfig.fromEnv(Map.of("PROCESSING_GUARANTEE", "exactly_once")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PROCESSING_GUARANTEE");
        assertThatThrownBy(() -> ProcessorConfig.fromEnv(Map.of("DEDUP_WINDOW_HOURS", "three days")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("DEDUP_WINDOW_HOURS");
        assertThatThrownBy(() -> ProcessorConfig.fromEnv(Map.of("COMMIT_INTERVAL_MS", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("COMMIT_INTERVAL_MS");
        assertThatThrownBy(() -> ProcessorConfig.fromEnv(Map.of("RAW_TOPIC", "no spaces")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("RAW_TOPIC");
    }

    @Test
    void treatsBlankValuesAsUnset() {
        assertThat(ProcessorConfig.fromEnv(Map.of("NUM_STREAM_THREADS", " ")).numStreamThreads()).isEqualTo(1);
    }

    @Test
    void passesKafkaVariablesThroughButKeepsItsOwnGuarantees() {
        ProcessorConfig config = ProcessorConfig.fromEnv(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9093",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_PROCESSING_GUARANTEE", "at_least_once",
                "KAFKA_APPLICATION_ID", "hijacked"));

        Properties props = ProcessorService.streamsProperties(config);

        assertThat(props.getProperty("bootstrap.servers")).isEqualTo("broker:9093");
        assertThat(props.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
        assertThat(props.get(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("pdpipeline-processor");
        assertThat(props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(100L);
    }

    @Test
    void batchesTheRoutingProducerUnlessKafkaVariablesSayOtherwise() {
        Properties defaults = ProcessorService.streamsProperties(ProcessorConfig.fromEnv(Map.of()));
        assertThat(defaults.get(StreamsConfig.producerPrefix("batch.size"))).isEqualTo(256 * 1024);
        assertThat(defaults.get(StreamsConfig.producerPrefix("linger.ms"))).isEqualTo(ProcessorService.PRODUCER_LINGER_MS).isEqualTo(10);
        assertThat(defaults.get(StreamsConfig.producerPrefix("retry.backoff.ms"))).isEqualTo(10);

        Properties unprefixed = ProcessorService.streamsProperties(ProcessorConfig.fromEnv(Map.of(
                "KAFKA_BATCH_SIZE", "32768", "KAFKA_PRODUCER_LINGER_MS", "5")));
        assertThat(unprefixed.get(StreamsConfig.producerPrefix("batch.size"))).isNull();
        assertThat(unprefixed.getProperty("batch.size")).isEqualTo("32768");
        assertThat(unprefixed.getProperty(StreamsConfig.producerPrefix("linger.ms"))).isEqualTo("5");

        Properties backoff = ProcessorService.streamsProperties(ProcessorConfig.fromEnv(Map.of(
                "KAFKA_PRODUCER_RETRY_BACKOFF_MS", "50")));
        assertThat(backoff.getProperty(StreamsConfig.producerPrefix("retry.backoff.ms"))).isEqualTo("50");
    }

    @Test
    void neverPrintsEnvironmentValues() {
        ProcessorConfig config = ProcessorConfig.fromEnv(Map.of("PAGERDUTY_WEBHOOK_SECRET", "s3cr3t-value",
                "KAFKA_SASL_JAAS_CONFIG", "password=\"hunter2\""));

        assertThat(config.toString()).doesNotContain("s3cr3t-value").doesNotContain("hunter2");
    }
}
