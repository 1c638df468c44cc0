package dev.pdpipeline.processor.decisions;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * How the processor creates the decisions topic when it is missing: delete policy (one record per
 * raw record, nothing to compact), the raw topic's retention (a decision is worth keeping as long
 * as the delivery it explains) and the raw topic's partition count (keyed like it, so one
 * incident's decisions sit in one partition). The one place to change when a topic plan owns it.
 */
public final class DecisionsTopic {

    private DecisionsTopic() {
    }

    public static NewTopic newTopic(String name, int partitions, short replication, long retentionMs) {
        return new NewTopic(name, Optional.of(partitions), Optional.of(replication)).configs(Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retentionMs)));
    }
}
