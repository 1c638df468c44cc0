package dev.pdpipeline.common.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The fault fixture itself: brokers stop and come back with their data, and the ISR heals. */
@Tag("slow")
class KafkaClusterIT {

    @Test
    void stoppedBrokerRejoinsTheIsrAfterARestart() throws Exception {
        try (KafkaCluster cluster = KafkaCluster.start(3)) {
            assertThat(cluster.brokerIds()).hasSize(3);
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic("fixture", 2, (short) 3))).all().get(30, TimeUnit.SECONDS);
            }
            cluster.awaitFullyReplicated("fixture", Duration.ofSeconds(30));
            int victim = cluster.brokerIds().get(0);

            cluster.stopBroker(victim);
            try (KafkaProducer<String, String> producer = producer(cluster.bootstrapServers())) {
                // two of three in sync still satisfy min.insync.replicas=2
                producer.send(new ProducerRecord<>("fixture", "k", "while one broker is down")).get(30, TimeUnit.SECONDS);
            }
            cluster.startBroker(victim);

            cluster.awaitFullyReplicated("fixture", Duration.ofSeconds(60));
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties props = new Properties();
        props.putAll(Map.of("bootstrap.servers", bootstrap, "acks", "all", "delivery.timeout.ms", "30000",
                "request.timeout.ms", "10000"));
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }
}
