package dev.pdpipeline.common.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class TopicPlanTest {

    @Test
    void replicationIsMinOfThreeAndTheBrokersWithMinIsrTwoFromThreeReplicasOn() {
        TopicPlan plan = TopicPlan.defaults();

        TopicPlan.Spec single = plan.topic(TopicPlan.Role.RAW, 1);
        assertThat(single.replication()).isEqualTo((short) 1);
        assertThat(single.configs()).doesNotContainKey("min.insync.replicas");
        assertThat(plan.topic(TopicPlan.Role.RAW, 2).replication()).isEqualTo((short) 2);
        assertThat(plan.topic(TopicPlan.Role.RAW, 2).configs()).doesNotContainKey("min.insync.replicas");
        TopicPlan.Spec five = plan.topic(TopicPlan.Role.LEDGER, 5);
        assertThat(five.replication()).isEqualTo((short) 3);
        assertThat(five.configs()).containsEntry("min.insync.replicas", "2");
        assertThat(plan.agentTopic("agent.a.requests", 6, 3).configs()).containsEntry("min.insync.replicas", "2");
    }

    @Test
    void everyTopicHasItsPlannedCleanupRetentionAndSize() {
        TopicPlan plan = TopicPlan.fromEnv(Map.of("RAW_TOPIC_RETENTION_MS", "86400000", "MAX_BODY_BYTES", "262144",
                "RAW_TOPIC_PARTITIONS", "6", "NOTES_TOPIC_PARTITIONS", "4"));

        TopicPlan.Spec raw = plan.topic(TopicPlan.Role.RAW, 1);
        assertThat(raw.name()).isEqualTo("pagerduty.webhooks.raw");
        assertThat(raw.partitions()).isEqualTo(6);
        assertThat(raw.configs()).containsEntry("retention.ms", "86400000")
                .containsEntry("max.message.bytes", Long.toString(262_144 + 64 * 1024))
                .containsEntry("cleanup.policy", "delete");
        assertThat(plan.topic(TopicPlan.Role.RAW_DEAD_LETTER, 1).configs()).containsEntry("retention.ms", "86400000");
        assertThat(plan.topic(TopicPlan.Role.DECISIONS, 1).configs())
                .as("decisions keep as long as raw by default").containsEntry("retention.ms", "86400000")
                .containsEntry("cleanup.policy", "delete");
        assertThat(plan.topic(TopicPlan.Role.REDRIVES, 1).configs()).containsEntry("cleanup.policy", "compact");
        assertThat(plan.topic(TopicPlan.Role.REQUEST_LOG, 1).configs()).containsEntry("cleanup.policy", "compact,delete")
                .containsEntry("retention.ms", "2592000000");
        assertThat(plan.topic(TopicPlan.Role.REQUEST_LOG, 1).partitions()).isEqualTo(4);
        assertThat(plan.topic(TopicPlan.Role.LEDGER, 1).configs()).containsEntry("cleanup.policy", "compact,delete")
                .containsEntry("retention.ms", "2592000000");
        assertThat(plan.topic(TopicPlan.Role.RESULTS, 1).partitions()).isEqualTo(4);
        assertThat(plan.fixedTopics(1)).extracting(TopicPlan.Spec::name).containsExactly(
                "pagerduty.webhooks.raw", "pagerduty.webhooks.dlq", "pdpipeline.decisions", "pdpipeline.redrives",
                "agent.results", "agent.results.dlq", "pdpipeline.requests", "pdpipeline.results.ledger");
        assertThat(plan.agentTopic("agent.a.requests", 6, 1).partitions()).as("0 = as many as raw").isEqualTo(6);
        assertThat(TopicPlan.fromEnv(Map.of("AGENT_TOPIC_PARTITIONS", "2")).agentTopic("t", 6, 1).partitions())
                .isEqualTo(2);
        assertThat(TopicPlan.fromEnv(Map.of("DECISIONS_TOPIC_RETENTION_MS", "-1")).topic(TopicPlan.Role.DECISIONS, 1)
                .configs()).containsEntry("retention.ms", "-1");
    }

    @Test
    void requestLogAndLedgerAreCompactedWithARetentionHorizonOfTheirOwn() {
        TopicPlan plan = TopicPlan.fromEnv(Map.of("REQUEST_LOG_RETENTION_MS", "86400000"));
        assertThat(plan.topic(TopicPlan.Role.REQUEST_LOG, 1).configs()).containsEntry("cleanup.policy", "compact,delete")
                .containsEntry("retention.ms", "86400000");
        assertThat(plan.topic(TopicPlan.Role.LEDGER, 1).configs()).as("the ledger follows the request log when unset")
                .containsEntry("retention.ms", "86400000");
        TopicPlan both = TopicPlan.fromEnv(Map.of("REQUEST_LOG_RETENTION_MS", "86400000",
                "RESULTS_LEDGER_RETENTION_MS", "172800000"));
        assertThat(both.topic(TopicPlan.Role.LEDGER, 1).configs()).containsEntry("retention.ms", "172800000");
        assertThat(both.requestLogRetentionMs()).isEqualTo(86_400_000L);
        assertThat(both.ledgerRetentionMs()).isEqualTo(172_800_000L);
        TopicPlan forever = TopicPlan.fromEnv(Map.of("REQUEST_LOG_RETENTION_MS", "-1"));
        assertThat(forever.topic(TopicPlan.Role.REQUEST_LOG, 1).configs()).as("-1 = compacted, kept forever")
                .containsEntry("cleanup.policy", "compact").doesNotContainKey("retention.ms");
        assertThat(TopicPlan.defaults().topic(TopicPlan.Role.REDRIVES, 1).configs())
                .containsEntry("cleanup.policy", "compact").doesNotContainKey("retention.ms");
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("REQUEST_LOG_RETENTION_MS", "10")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("REQUEST_LOG_RETENTION_MS");
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("REQUEST_LOG_RETENTION_MS", "172800000",
                "RESULTS_LEDGER_RETENTION_MS", "86400000"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("RESULTS_LEDGER_RETENTION_MS").hasMessageContaining("written twice");
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("REQUEST_LOG_RETENTION_MS", "-1",
                "RESULTS_LEDGER_RETENTION_MS", "86400000"))).isInstanceOf(ConfigException.class);
        assertThat(TopicPlan.fromEnv(Map.of("RESULTS_LEDGER_RETENTION_MS", "-1")).ledgerRetentionMs()).isEqualTo(-1);
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("RESULTS_LEDGER_RETENTION_MS", "soon")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("RESULTS_LEDGER_RETENTION_MS");
    }

    @Test
    void oneVariablePerSettingWithTheOldNamesAsAliases() {
        assertThat(TopicPlan.fromEnv(Map.of("TOPIC_REPLICATION", "2")).replication(5)).isEqualTo((short) 2);
        assertThat(TopicPlan.fromEnv(Map.of("RAW_TOPIC_REPLICATION", "2")).replication(5)).isEqualTo((short) 2);
        assertThat(TopicPlan.fromEnv(Map.of("NOTES_TOPIC_REPLICATION", "1")).replication(5)).isEqualTo((short) 1);
        assertThat(TopicPlan.fromEnv(Map.of("AGENT_TOPIC_REPLICATION", "3")).replication(1)).isEqualTo((short) 3);
        assertThat(TopicPlan.fromEnv(Map.of("RAW_TOPIC_REPLICATION", "3", "NOTES_TOPIC_REPLICATION", "3"))
                .replication(1)).isEqualTo((short) 3);
        assertThat(TopicPlan.fromEnv(Map.of("TOPIC_REPLICATION", "3", "RAW_TOPIC_REPLICATION", "1"))
                .replication(1)).as("the setting's own name wins").isEqualTo((short) 3);
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("RAW_TOPIC_REPLICATION", "3", "NOTES_TOPIC_REPLICATION", "1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("NOTES_TOPIC_REPLICATION")
                .hasMessageContaining("TOPIC_REPLICATION");
    }

    @Test
    void badValuesNameTheVariable() {
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("TOPIC_REPLICATION", "three")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TOPIC_REPLICATION");
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("TOPIC_REPLICATION", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TOPIC_REPLICATION");
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("TOPIC_REPLICATION", "2", "TOPIC_MIN_INSYNC_REPLICAS", "3")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TOPIC_MIN_INSYNC_REPLICAS");
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("RAW_TOPIC_RETENTION_MS", "5")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("RAW_TOPIC_RETENTION_MS");
        assertThatThrownBy(() -> TopicPlan.fromEnv(Map.of("RAW_TOPIC", "no spaces")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("RAW_TOPIC");
    }

    @Test
    void anExplicitMinIsrIsCappedAtTheReplication() {
        TopicPlan plan = TopicPlan.fromEnv(Map.of("TOPIC_MIN_INSYNC_REPLICAS", "3"));
        assertThat(plan.topic(TopicPlan.Role.RAW, 1).configs()).containsEntry("min.insync.replicas", "1");
        assertThat(plan.topic(TopicPlan.Role.RAW, 5).configs()).containsEntry("min.insync.replicas", "3");
    }
}
