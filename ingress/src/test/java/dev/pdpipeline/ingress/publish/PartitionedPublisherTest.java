package dev.pdpipeline.ingress.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class PartitionedPublisherTest {

    private final List<MockProducer<String, byte[]>> producers = new ArrayList<>();
    private int partitions = 6;
    private Set<Integer> unwritable = Set.of();

    private final PartitionedPublisher publisher = new PartitionedPublisher(slot -> {
        MockProducer<String, byte[]> producer =
                new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        producers.add(producer);
        return new KafkaWebhookPublisher(producer, "raw");
    }, () -> partitions, p -> !unwritable.contains(p));

    @Test
    void sendsAKeyedDeliveryToKafkasDefaultPartitionThroughThatPartitionsOwnProducer() {
        for (int i = 0; i < 50; i++) {
            String key = "PINC" + i;
            publisher.publish(delivery(key));
            int expected = BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), partitions);
            var sent = producers.get(expected).history();
            assertThat(sent.get(sent.size() - 1).partition()).isEqualTo(expected);
            assertThat(sent.get(sent.size() - 1).key()).isEqualTo(key);
        }
        assertThat(producers).hasSize(6);
        for (int p = 0; p < 6; p++) {
            int partition = p;
            assertThat(producers.get(p).history()).allSatisfy(r -> assertThat(r.partition()).isEqualTo(partition));
        }
    }

    @Test
    void sendsDeliveriesWithoutAKeyOnlyToPartitionsThatCanTakeWrites() {
        unwritable = Set.of(0, 2, 4);
        for (int i = 0; i < 30; i++) {
            publisher.publish(delivery(null));
        }
        List<Integer> used = producers.stream().flatMap(p -> p.history().stream()).map(r -> r.partition()).toList();
        assertThat(used).hasSize(30).containsOnly(1, 3, 5);
    }

    @Test
    void leavesThePartitionToTheProducerWhileThePartitionCountIsUnknown() {
        partitions = 0;
        publisher.publish(delivery("PINC1"));
        assertThat(producers).hasSize(1);
        assertThat(producers.get(0).history().get(0).partition()).isNull();
    }

    private static RawDelivery delivery(String key) {
        return new RawDelivery(key, "{}".getBytes(StandardCharsets.UTF_8), "wh", null, Instant.EPOCH, List.of("fp"));
    }
}
