package dev.pdpipeline.examples.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pdpipeline.common.testing.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The example agent against a real broker: request envelope in, result out, offsets committed. */
class ExampleAgentIT {

    private static final TestKafka KAFKA = TestKafka.shared();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void answersARequestWithAResultKeyedByIncidentAndCommitsAfterwards() throws Exception {
        String agent = "example-it-" + UUID.randomUUID().toString().substring(0, 8);
        String requestTopic = "agent." + agent + ".requests";
        String resultsTopic = KAFKA.uniqueTopic("results");
        KAFKA.createTopics(2, requestTopic, resultsTopic);
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        env.put("AGENT_NAME", agent);
        env.put("RESULTS_TOPIC", resultsTopic);

        byte[] request = DiagnosisNoteTest.request(agent, "req-0001", "Q1INCIDENT9").toString()
                .getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KAFKA.producerProps())) {
            producer.send(new ProducerRecord<>(requestTopic, utf8("Q1INCIDENT9"), request)).get();
        }

        try (ExampleAgent running = ExampleAgent.fromEnv(env).start()) {
            List<ConsumerRecord<byte[], byte[]>> results = KAFKA.readAll(resultsTopic, 1, Duration.ofSeconds(60));
            assertThat(results).hasSize(1);
            ConsumerRecord<byte[], byte[]> result = results.get(0);
            assertThat(new String(result.key(), StandardCharsets.UTF_8)).isEqualTo("Q1INCIDENT9");
            JsonNode json = MAPPER.readTree(result.value());
            assertThat(json.get("request_id").asText()).isEqualTo("req-0001");
            assertThat(json.get("incident_id").asText()).isEqualTo("Q1INCIDENT9");
            assertThat(json.get("agent").asText()).isEqualTo(agent);
            assertThat(json.get("result_id").asText()).isEqualTo(DiagnosisNote.resultId("req-0001", agent));
            assertThat(json.has("status")).isFalse();
            assertThat(json.get("note").asText()).contains("Checkout latency above SLO", "P1", "checkout-api",
                    "Checklist");

            // the offset is committed only after the result: the group's position is past the request
            try (KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(KAFKA.consumerProps("example-" + agent))) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    Map<TopicPartition, OffsetAndMetadata> committed = probe.committed(
                            java.util.Set.of(new TopicPartition(requestTopic, 0), new TopicPartition(requestTopic, 1)));
                    long total = committed.values().stream().filter(java.util.Objects::nonNull)
                            .mapToLong(OffsetAndMetadata::offset).sum();
                    assertThat(total).isEqualTo(1);
                });
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> running.answered() == 1);
            assertThat(running.skipped()).isZero();
        }
    }

    @Test
    void skipsRecordsItCannotAnswerAndKeepsGoing() throws Exception {
        String agent = "example-it-" + UUID.randomUUID().toString().substring(0, 8);
        String requestTopic = "agent." + agent + ".requests";
        String resultsTopic = KAFKA.uniqueTopic("results");
        KAFKA.createTopics(1, requestTopic, resultsTopic);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KAFKA.producerProps())) {
            producer.send(new ProducerRecord<>(requestTopic, utf8("Q1"), utf8("not json"))).get();
            producer.send(new ProducerRecord<>(requestTopic, utf8("Q2"),
                    utf8(DiagnosisNoteTest.request(agent, "req-2", "Q2").toString()))).get();
        }
        Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers(), "AGENT_NAME", agent,
                "RESULTS_TOPIC", resultsTopic, "AGENT_GROUP_ID", "it-" + UUID.randomUUID());
        try (ExampleAgent running = ExampleAgent.fromEnv(env).start()) {
            List<ConsumerRecord<byte[], byte[]>> results = KAFKA.readAll(resultsTopic, 1, Duration.ofSeconds(60));
            assertThat(MAPPER.readTree(results.get(0).value()).get("request_id").asText()).isEqualTo("req-2");
            await().atMost(Duration.ofSeconds(10)).until(() -> running.skipped() == 1 && running.answered() == 1);
            assertThat(running.isRunning()).isTrue();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
