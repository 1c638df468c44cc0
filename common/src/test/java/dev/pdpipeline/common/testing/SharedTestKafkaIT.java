package dev.pdpipeline.common.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
class SharedTestKafkaIT {

    @Test
    void picksOneBrokerForTheWholeJvmAndSaysWhichKind(TestKafka kafka) {
        assertThat(kafka).isSameAs(TestKafka.shared());
        assertThat(kafka.kind()).isIn(TestKafka.IN_PROCESS, TestKafka.TESTCONTAINERS);
        assertThat(kafka.bootstrapServers()).matches("[^:]+:\\d+");
    }

    @Test
    void uniqueTopicsDifferAndAreLegalTopicNames(TestKafka kafka) {
        String a = kafka.uniqueTopic("raw events/é");
        String b = kafka.uniqueTopic("raw events/é");
        assertThat(a).isNotEqualTo(b).startsWith("raw_events__-").matches("[a-zA-Z0-9._-]+");
    }

    @Test
    void readAllReturnsWhatWasProducedAcrossPartitions(TestKafka kafka) throws Exception {
        String topic = kafka.uniqueTopic("harness");
        kafka.createTopics(3, topic);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProps())) {
            for (int i = 0; i < 6; i++) {
                producer.send(new ProducerRecord<>(topic, ("k" + i).getBytes(UTF_8), ("v" + i).getBytes(UTF_8))).get();
            }
        }
        List<ConsumerRecord<byte[], byte[]>> records = kafka.readAll(topic, 6, Duration.ofSeconds(30));
        assertThat(records).extracting(r -> new String(r.value(), UTF_8))
                .containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5");
        assertThat(records.stream().map(ConsumerRecord::partition).distinct().count())
                .as("records spread over partitions").isGreaterThan(1);
    }

    @Test
    void readAllFailsWithTheCountSeenWhenTooFewArrive(TestKafka kafka) {
        String topic = kafka.uniqueTopic("harness-empty");
        kafka.createTopics(1, topic);
        assertThatThrownBy(() -> kafka.readAll(topic, 1, Duration.ofMillis(500)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("saw 0");
    }
}
