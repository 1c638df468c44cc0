package dev.pdpipeline.processor.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ReplayPartitionsTest {

    @ParameterizedTest
    @CsvSource({"Q1TESTINCIDENT,3", "Q2ZK8INC77,12", "PABC123,1", "QINCA,6", "Ünïcödé,7"})
    void partitionMatchesTheProducersDefaultPartitioner(String key, int partitions) {
        assertThat(KeyPartitions.partitionFor(key, partitions))
                .isEqualTo(BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), partitions));
    }

    @Test
    void partitionIsStableAndInRange() {
        for (int n = 1; n <= 32; n++) {
            int p = KeyPartitions.partitionFor("Q2ZK8INC77", n);
            assertThat(p).isBetween(0, n - 1).isEqualTo(KeyPartitions.partitionFor("Q2ZK8INC77", n));
        }
    }

    @Test
    void zeroPartitionsIsRejected() {
        assertThatThrownBy(() -> KeyPartitions.partitionFor("Q1", 0)).hasMessageContaining("at least 1");
    }
}
