package dev.pdpipeline.processor.notes;

import static dev.pdpipeline.processor.notes.NotesTestTriggers.trigger;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.EmbeddedKafka;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.kafka.TopicAdmin;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request log keeps requests for {@code REQUEST_LOG_RETENTION_MS}; a result that comes back
 * after its request was deleted by the broker is dead-lettered, not written. Runs a broker of
 * its own, because the retention check interval is a broker setting.
 */
class NotesRequestLogRetentionIT {

    private static final String TOKEN = "it-token-SECRET-0042";

    @Test
    void aResultWhoseRequestTheBrokerDeletedByRetentionIsDeadLetteredAsUnknownRequestAndNotWritten(
            @TempDir Path stateDir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder()
                .brokerProperty("log.retention.check.interval.ms", "200")
                .brokerProperty("log.initial.task.delay.ms", "0")
                .start();
                FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents("P-OLD", "P-NEW")) {
            Properties client = new Properties();
            client.setProperty("bootstrap.servers", kafka.bootstrapServers());
            TopicCatalogue topics = TopicCatalogue.fromEnv(Map.of());
            Map<String, String> env = NotesItSupport.env(fake, TopicPlan.REQUEST_LOG_RETENTION_MS, "60000");
            // the request log as planned for a 60 s horizon, with segments that roll on every
            // time gap, so the broker can delete the old request's segment at once
            Map<String, String> configs = new HashMap<>(TopicPlan.fromEnv(env).topic(TopicPlan.Role.REQUEST_LOG, 1)
                    .configs());
            assertThat(configs).containsEntry("cleanup.policy", "compact,delete").containsEntry("retention.ms", "60000");
            configs.put("segment.ms", "1000");
            try (Admin admin = Admin.create(client)) {
                TopicAdmin.ensureTopics(admin, List.of(new NewTopic(topics.requestLog(), 1, (short) 1).configs(configs)),
                        Duration.ofSeconds(30));
            }
            TriggerSet triggers = new TriggerSet(List.of(trigger("t-own", "triage", TOKEN, "ops@example.com", null)));
            try (KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
                // routed two hours ago: past the retention
                long old = Instant.now().minus(Duration.ofHours(2)).toEpochMilli();
                producer.send(new ProducerRecord<>(topics.requestLog(), null, old, RequestLogRecord.key("req-old"),
                        RequestLogRecord.toJson("req-old", "t-own", "triage", "P-OLD", "ev-old", false, true,
                                Instant.ofEpochMilli(old)))).get(10, TimeUnit.SECONDS);
                producer.send(new ProducerRecord<>(topics.requestLog(), RequestLogRecord.key("req-new"),
                        RequestLogRecord.toJson("req-new", "t-own", "triage", "P-NEW", "ev-new", false, true,
                                Instant.now()))).get(10, TimeUnit.SECONDS);

                TopicPartition tp = new TopicPartition(topics.requestLog(), 0);
                try (Admin admin = Admin.create(client)) {
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                            .alias("the broker deletes the old request's segment (log start offset moves)")
                            .until(() -> admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp)
                                    .get(10, TimeUnit.SECONDS).offset() >= 1);
                }

                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                try (NotesWriter writer = NotesWriter.start(NotesConfig.fromEnv(env), topics, client, "retention-it",
                        () -> triggers, registry, stateDir, new Health())) {
                    await().atMost(Duration.ofSeconds(60)).until(writer::isReady);
                    assertThat(Files.isDirectory(stateDir.resolve("retention-it.notes").resolve("request-log")))
                            .as("the request log's store lives under STATE_DIR").isTrue();
                    producer.send(result(topics, "req-old", "P-OLD", "late answer")).get(10, TimeUnit.SECONDS);
                    producer.send(result(topics, "req-new", "P-NEW", "timely answer")).get(10, TimeUnit.SECONDS);

                    List<ConsumerRecord<byte[], byte[]>> dlq = readAll(kafka, topics.resultsDeadLetter(), 1);
                    assertThat(dlq).hasSize(1);
                    assertThat(header(dlq.get(0), PipelineHeaders.DLQ_REASON)).isEqualTo("unknown_request");
                    assertThat(header(dlq.get(0), PipelineHeaders.DLQ_DETAIL)).contains("req-old")
                            .contains("older than the request log's retention")
                            .contains("REQUEST_LOG_RETENTION_MS=60000 ms");
                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                            assertThat(fake.notes("P-NEW")).hasSize(1));
                    await().atMost(Duration.ofSeconds(30)).until(() -> writer.backlog() == 0);
                    assertThat(fake.notes("P-OLD")).as("nothing written for the forgotten request").isEmpty();
                    assertThat(fake.requests()).noneMatch(r -> r.path().contains("P-OLD"));
                }
            }
        }
    }

    private static ProducerRecord<byte[], byte[]> result(TopicCatalogue topics, String requestId, String incident,
            String note) throws Exception {
        Map<String, Object> value = NotesItSupport.note(requestId, incident, "triage", note);
        return new ProducerRecord<>(topics.results(), incident.getBytes(StandardCharsets.UTF_8),
                Json.mapper().writeValueAsBytes(value));
    }

    private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.setProperty(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.setProperty(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p);
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(EmbeddedKafka kafka, String topic, int expected) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.setProperty(ConsumerConfig.GROUP_ID_CONFIG, "retention-it-reader");
        p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
                return out.size() >= expected;
            });
        }
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
