package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.processor.notes.RequestLogRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A long past of the pipeline, written quickly: for each past request, the request-log record
 * the routing wrote ({@link RequestLogRecord#toJson}), the agent's result on the results topic
 * (schemas/result.schema.json, with its {@code result_id}) and the ledger's {@code done} entry
 * for it (the results ledger's format: state, result_id, request_id, incident_id, agent,
 * note_ids, at). Then the notes writer's consumer group is moved past the results, as after
 * writing them: the processor restarts on a history it has already handled.
 */
final class History {

    private static final String NOTE = "Diagnosis: p99 latency of checkout-api rose after deploy 2024-06-01.3; the "
            + "payment gateway answers in 2.1 s (usually 120 ms). Rolled back the canary; error rate back to 0.2%.";

    private final BenchKafka kafka;
    private final TopicCatalogue topics;
    private final String trigger;
    private final String agent;
    private final long salt;
    private long written;

    History(BenchKafka kafka, TopicCatalogue topics, String trigger, String agent, long seed) {
        this.kafka = kafka;
        this.topics = topics;
        this.trigger = trigger;
        this.agent = agent;
        this.salt = new Random(seed).nextLong() & 0x7fff_ffff_ffffL;
    }

    /** Appends {@code count} past requests with their results and ledger entries (acks=all). */
    void append(long count) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(128L * 1024 * 1024));
        Instant routedAt = Instant.now().minus(Duration.ofDays(1));
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long n = 0; n < count; n++) {
                long i = written + n;
                String requestId = String.format("%016x%016x", salt, i);
                String resultId = String.format("%016x%016x", ~salt & 0x7fff_ffff_ffff_ffffL, i);
                String incident = "QHIST" + Long.toString(i / 4, 36).toUpperCase();
                producer.send(new ProducerRecord<>(topics.requestLog(), RequestLogRecord.key(requestId),
                        RequestLogRecord.toJson(requestId, trigger, agent, incident, "ev-" + salt + "-" + i, false, true,
                                routedAt)));
                ObjectNode result = Json.mapper().createObjectNode();
                result.put("request_id", requestId);
                result.put("incident_id", incident);
                result.put("agent", agent);
                result.put("note", NOTE + " (" + i + ")");
                result.put("result_id", resultId);
                producer.send(new ProducerRecord<>(topics.results(), utf8(incident), Json.mapper().writeValueAsBytes(result)));
                ObjectNode done = Json.mapper().createObjectNode();
                done.put("state", "done");
                done.put("result_id", resultId);
                done.put("request_id", requestId);
                done.put("incident_id", incident);
                done.put("agent", agent);
                done.putArray("note_ids").add("PN" + Long.toString(i, 36).toUpperCase());
                done.put("at", routedAt.plusSeconds(60).toString());
                producer.send(new ProducerRecord<>(topics.resultsLedger(), utf8(resultId),
                        Json.mapper().writeValueAsBytes(done)));
            }
            producer.flush();
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise a history record", e);
        }
        written += count;
    }

    /**
     * Commits {@code group}'s offsets on the results topic at its end (the group must be empty:
     * the processor stopped), retrying while the broker still sees the last member.
     */
    void skipResults(String group) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        try (var consumer = kafka.committedReader(List.of(topics.results()), true)) {
            for (PartitionInfo p : consumer.partitionsFor(topics.results(), Duration.ofSeconds(30))) {
                latest.put(new TopicPartition(p.topic(), p.partition()), OffsetSpec.latest());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try {
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                        kafka.admin().listOffsets(latest).all().get(30, TimeUnit.SECONDS);
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                ends.forEach((tp, info) -> offsets.put(tp, new OffsetAndMetadata(info.offset())));
                kafka.admin().alterConsumerGroupOffsets(group, offsets).all().get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | TimeoutException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("cannot move the consumer group " + group + " past the results: "
                            + (e instanceof ExecutionException ? e.getCause() : e), e);
                }
                Harness.pause(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
