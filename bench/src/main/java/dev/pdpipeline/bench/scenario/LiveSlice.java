package dev.pdpipeline.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.SecretFingerprint;
import dev.pdpipeline.launcher.sample.SampleEvents;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A slice of real work for a running processor: raw events as the ingress writes them, routed by
 * the processor to the agent topic; this class answers each request as an agent would (a result
 * on the results topic) and waits until the notes writer has written every one as a note to
 * the fake PagerDuty. So the request log, the ledger and the dedup store are used live, not only
 * restored.
 */
final class LiveSlice {

    private final BenchKafka kafka;
    private final TopicCatalogue topics;
    private final String agent;
    private final String fingerprint;
    private final String[] incidents;
    private final FakePagerDuty fake;
    private final Random random;

    /** What one slice did. */
    record Outcome(int events, long routed, long notes, double seconds, boolean complete) {
    }

    LiveSlice(BenchKafka kafka, TopicCatalogue topics, String agent, String secret, String[] incidents,
            FakePagerDuty fake, long seed) {
        this.kafka = kafka;
        this.topics = topics;
        this.agent = agent;
        this.fingerprint = SecretFingerprint.of(secret);
        this.incidents = incidents.clone();
        this.fake = fake;
        this.random = new Random(seed ^ 0x5eed);
    }

    /** Sends {@code events} raw events, answers their requests, waits for their notes (or the timeout). */
    Outcome run(int events, Duration timeout) {
        if (events <= 0) {
            return new Outcome(0, 0, 0, 0, true);
        }
        long notesBefore = notes();
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long routed = 0;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        String agentTopic = topics.agentTopic(agent);
        try (KafkaConsumer<byte[], byte[]> requests = kafka.committedReader(List.of(agentTopic), true);
                KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < events; i++) {
                String incident = incidents[i % incidents.length];
                SampleEvents.Spec spec = new SampleEvents.Spec("incident.triggered",
                        new UUID(random.nextLong(), random.nextLong()).toString(), incident, 1 + i % incidents.length,
                        "checkout latency above SLO " + i, "P1", "high", "PSVC1", "checkout-api", "PTEAM1", "payments",
                        Instant.now());
                RecordHeaders headers = new RecordHeaders();
                headers.add(PipelineHeaders.WEBHOOK_ID, utf8("W" + spec.eventId()));
                headers.add(PipelineHeaders.WEBHOOK_SUBSCRIPTION, utf8("PSUBSCRIPTION1"));
                headers.add(PipelineHeaders.RECEIVED_AT, utf8(Instant.now().toString()));
                headers.add(PipelineHeaders.SECRET_FINGERPRINTS, utf8(fingerprint));
                producer.send(new ProducerRecord<>(topics.raw(), null, utf8(incident), SampleEvents.delivery(spec),
                        headers));
            }
            producer.flush();
            while (routed < events && System.nanoTime() - deadline < 0) {
                for (ConsumerRecord<byte[], byte[]> r : requests.poll(Duration.ofMillis(200))) {
                    JsonNode request = Json.mapper().readTree(r.value());
                    ObjectNode result = Json.mapper().createObjectNode();
                    result.put("request_id", request.path("request_id").asText());
                    result.put("incident_id", request.path("metadata").path("incident_id").asText());
                    result.put("agent", request.path("agent").asText());
                    result.put("note", "Live slice: looked at " + request.path("text").asText() + "; nothing to do.");
                    producer.send(new ProducerRecord<>(topics.results(), r.key(), Json.mapper().writeValueAsBytes(result)));
                    routed++;
                }
            }
            producer.flush();
        } catch (IOException e) {
            throw new IllegalStateException("unreadable request on the agent topic", e);
        }
        long written = notes() - notesBefore;
        while (written < routed && System.nanoTime() - deadline < 0) {
            Harness.pause(50);
            written = notes() - notesBefore;
        }
        return new Outcome(events, routed, written, (System.nanoTime() - start) / 1e9,
                routed == events && written >= events);
    }

    private long notes() {
        return fake.allNotes().values().stream().mapToLong(List::size).sum();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
