package dev.pdpipeline.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngressConfigTest {

    @TempDir
    Path triggers;

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put(IngressConfig.TRIGGERS_PATH, triggers.toString());
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void appliesDocumentedDefaults() {
        IngressConfig config = IngressConfig.fromEnv(env());

        assertThat(config.bindHost()).isEqualTo("0.0.0.0");
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.managementPort()).isEqualTo(8081);
        assertThat(config.maxBodyBytes()).isEqualTo(1_048_576);
        assertThat(config.publishTimeout()).isEqualTo(Duration.ofMillis(3000));
        assertThat(config.triggersReloadInterval()).isEqualTo(Duration.ofMillis(5000));
        assertThat(config.rawTopicPartitions()).isEqualTo(3);
        assertThat(config.topicPlan().explicitReplication()).as("min(3, brokers)").isEmpty();
        assertThat(config.rawTopicRetentionMs()).isEqualTo(2_592_000_000L);
        assertThat(config.topics().raw()).isEqualTo("pagerduty.webhooks.raw");
        assertThat(config.kafkaProperties().getProperty("bootstrap.servers")).isEqualTo("localhost:9092");
    }

    @Test
    void readsEveryVariable() {
        IngressConfig config = IngressConfig.fromEnv(env(
                "INGRESS_HOST", "127.0.0.1", "INGRESS_PORT", "9000", "MANAGEMENT_PORT", "9001",
                "MAX_BODY_BYTES", "524288", "PUBLISH_TIMEOUT_MS", "4999", "TRIGGERS_RELOAD_INTERVAL_MS", "1000",
                "RAW_TOPIC", "pd.raw", "DLQ_TOPIC", "pd.dlq", "RAW_TOPIC_PARTITIONS", "12",
                "RAW_TOPIC_REPLICATION", "3", "RAW_TOPIC_RETENTION_MS", "-1",
                "KAFKA_BOOTSTRAP_SERVERS", "broker-1:9093", "KAFKA_SECURITY_PROTOCOL", "SASL_SSL"));

        assertThat(config.bindHost()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(9000);
        assertThat(config.managementPort()).isEqualTo(9001);
        assertThat(config.maxBodyBytes()).isEqualTo(524_288);
        assertThat(config.publishTimeout()).isEqualTo(Duration.ofMillis(4999));
        assertThat(config.triggersReloadInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.topics().raw()).isEqualTo("pd.raw");
        assertThat(config.topics().deadLetter()).isEqualTo("pd.dlq");
        assertThat(config.rawTopicPartitions()).isEqualTo(12);
        assertThat(config.topicPlan().replication(1)).as("RAW_TOPIC_REPLICATION, an alias").isEqualTo((short) 3);
        assertThat(config.rawTopicRetentionMs()).isEqualTo(-1);
        assertThat(config.kafkaProperties())
                .containsEntry("bootstrap.servers", "broker-1:9093")
                .containsEntry("security.protocol", "SASL_SSL");
    }

    @Test
    void treatsBlankValuesAsUnset() {
        IngressConfig config = IngressConfig.fromEnv(env("INGRESS_PORT", "  ", "PUBLISH_TIMEOUT_MS", ""));

        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.publishTimeout()).isEqualTo(Duration.ofMillis(3000));
    }

    @Test
    void rejectsPublishTimeoutAtOrAbovePagerDutysDeadline() {
        assertThatThrownBy(() -> IngressConfig.fromEnv(env("PUBLISH_TIMEOUT_MS", "5000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PUBLISH_TIMEOUT_MS")
                .hasMessageContaining("5000");
    }

    @Test
    void rejectsNonNumericPort() {
        assertThatThrownBy(() -> IngressConfig.fromEnv(env("INGRESS_PORT", "http")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("INGRESS_PORT");
    }

    @Test
    void rejectsPortOutOfRange() {
        assertThatThrownBy(() -> IngressConfig.fromEnv(env("MANAGEMENT_PORT", "70000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("MANAGEMENT_PORT");
    }

    @Test
    void rejectsManagementPortEqualToWebhookPort() {
        assertThatThrownBy(() -> IngressConfig.fromEnv(env("INGRESS_PORT", "8090", "MANAGEMENT_PORT", "8090")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("MANAGEMENT_PORT")
                .hasMessageContaining("INGRESS_PORT");
    }

    @Test
    void rejectsBodyLimitBelowWhatPagerDutySends() {
        assertThatThrownBy(() -> IngressConfig.fromEnv(env("MAX_BODY_BYTES", "1000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("MAX_BODY_BYTES");
    }

    @Test
    void rejectsMissingTriggersPathWithItsName() {
        Path missing = triggers.resolve("nope");

        assertThatThrownBy(() -> IngressConfig.fromEnv(env("TRIGGERS_PATH", missing.toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("TRIGGERS_PATH")
                .hasMessageContaining("does not exist");
    }

    @Test
    void rejectsIllegalTopicName() {
        assertThatThrownBy(() -> IngressConfig.fromEnv(env("RAW_TOPIC", "raw topic!")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("RAW_TOPIC");
    }

    @Test
    void rejectsShortRetention() {
        assertThatThrownBy(() -> IngressConfig.fromEnv(env("RAW_TOPIC_RETENTION_MS", "10")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("RAW_TOPIC_RETENTION_MS");
    }

    @Test
    void rejectsZeroPartitions() {
        assertThatThrownBy(() -> IngressConfig.fromEnv(env("RAW_TOPIC_PARTITIONS", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("RAW_TOPIC_PARTITIONS");
    }

    @Test
    void keepsKafkaCredentialsOutOfToString() {
        IngressConfig config = IngressConfig.fromEnv(env("KAFKA_SASL_JAAS_CONFIG", "password=\"hunter2\"",
                "PAGERDUTY_WEBHOOK_SECRET", "s3cr3t"));

        assertThat(config.toString()).doesNotContain("hunter2").doesNotContain("s3cr3t");
    }

    @Test
    void documentsEveryVariable() {
        assertThat(IngressConfig.configDef().configKeys().values())
                .allSatisfy(key -> assertThat(key.documentation).isNotBlank());
    }
}
