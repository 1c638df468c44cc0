package dev.pdpipeline.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.processor.fixtures.TestEvents;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** A real-broker setting for one processor integration test: unique topics, trigger files, env. */
final class ProcessorFixture {

    static final String SECRET = "integration-test-webhook-secret";

    final TestKafka kafka = TestKafka.shared();
    final String raw = kafka.uniqueTopic("raw");
    final String deadLetter = kafka.uniqueTopic("dlq");
    final String agentPrefix = kafka.uniqueTopic("agents");
    final String applicationId = kafka.uniqueTopic("processor-it");
    final Path dir;
    final Path triggers;

    ProcessorFixture(Path dir, int partitions) {
        this.dir = dir;
        this.triggers = dir.resolve("triggers");
        try {
            Files.createDirectories(triggers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        kafka.createTopics(partitions, raw, deadLetter);
    }

    String agentTopic(String agent) {
        return agentPrefix + "." + agent + ".requests";
    }

    /** The processor's environment; {@code stateDir} is per instance. */
    Map<String, String> env(Path stateDir) {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("RAW_TOPIC", raw);
        env.put("DLQ_TOPIC", deadLetter);
        env.put("AGENT_TOPIC_TEMPLATE", agentPrefix + ".{agent}.requests");
        env.put("TRIGGERS_PATH", triggers.toString());
        env.put("TRIGGERS_RELOAD_INTERVAL_MS", "200");
        env.put("IT_WEBHOOK_SECRET", SECRET);
        env.put("APPLICATION_ID", applicationId);
        env.put("STATE_DIR", stateDir.toString());
        env.put("MANAGEMENT_PORT", "0");
        env.put("MANAGEMENT_HOST", "127.0.0.1");
        // a dead instance's partitions move after 6 s instead of 45 s
        env.put("KAFKA_SESSION_TIMEOUT_MS", "6000");
        env.put("KAFKA_HEARTBEAT_INTERVAL_MS", "1000");
        return env;
    }

    void writeTrigger(String file, String name, String agent, String eventType) {
        String yaml = """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: %s
                spec:
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${IT_WEBHOOK_SECRET}
                      event_types: [%s]
                  agent: %s
                  parameters:
                    mode: integration-test
                """.formatted(name, eventType, agent);
        try {
            Path tmp = triggers.resolve("." + file + ".tmp");
            Files.writeString(tmp, yaml);
            Files.move(tmp, triggers.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Produces {@code events} distinct incident.triggered events (over {@code incidents}
     * incidents) with duplicates mixed in: every 5th again later with the same webhook id (a
     * PagerDuty retry), every 7th once more with another webhook id (a second subscription).
     *
     * @return how many records were written
     */
    int produceWithDuplicates(String prefix, int events, int incidents) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> duplicates = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            String eventId = prefix + "-EV-" + i;
            String incidentId = prefix + "-INC-" + (i % incidents);
            byte[] body = TestEvents.incident(eventId, incidentId).bytes();
            byte[] key = incidentId.getBytes(StandardCharsets.UTF_8);
            records.add(new ProducerRecord<>(raw, null, key, body, TestEvents.ingressHeaders("WH-" + eventId, SECRET)));
            if (i % 5 == 0) {
                duplicates.add(new ProducerRecord<>(raw, null, key, body,
                        TestEvents.ingressHeaders("WH-" + eventId, SECRET)));
            }
            if (i % 7 == 0) {
                records.add(new ProducerRecord<>(raw, null, key, body,
                        TestEvents.ingressHeaders("WH2-" + eventId, SECRET)));
            }
            if (i % 50 == 49) { // retries arrive a little later, interleaved with new events
                records.addAll(duplicates);
                duplicates.clear();
            }
        }
        records.addAll(duplicates);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProps())) {
            for (ProducerRecord<byte[], byte[]> r : records) {
                producer.send(r);
            }
            producer.flush();
        }
        return records.size();
    }

    /** Whether the processor's committed offsets reached the end of the raw topic. */
    boolean consumedEverything() {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = kafka.admin()
                    .listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            kafka.admin().describeTopics(List.of(raw)).allTopicNames().get(10, TimeUnit.SECONDS).get(raw)
                    .partitions().forEach(p -> request.put(new TopicPartition(raw, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = kafka.admin().listOffsets(request)
                    .all().get(10, TimeUnit.SECONDS);
            for (var end : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(end.getKey());
                if (c == null || c.offset() < end.getValue().offset()) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    /** Every record of the topic a {@code isolation} consumer sees now, read up to the end. */
    List<ConsumerRecord<byte[], byte[]>> readToEnd(String topic, String isolation) {
        Properties props = kafka.consumerProps("it-reader-" + UUID.randomUUID());
        props.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.setProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions); // LSO under read_committed
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                assertThat(System.nanoTime()).as("reading %s to its end within 30 s", topic).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
            }
        }
        return seen;
    }

    /** How many records of the topic carry each event id (from the envelope's metadata). */
    static Map<String, Long> countByEventId(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().collect(Collectors.groupingBy(r -> {
            try {
                JsonNode body = Json.mapper().readTree(r.value());
                return body.get("metadata").get("event_id").asText();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, Collectors.counting()));
    }
}
