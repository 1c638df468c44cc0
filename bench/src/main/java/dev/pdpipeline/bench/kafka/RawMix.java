package dev.pdpipeline.bench.kafka;

import dev.pdpipeline.bench.load.Payloads;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.trigger.SecretFingerprint;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A realistic raw topic for the processor benchmarks, written as the ingress writes it (key =
 * incident id, webhook id, received-at and secret-fingerprint headers): four triggers on three
 * secrets, a share of events no trigger accepts (wrong priority or event type) and a share of
 * redeliveries (same webhook, same body), which dedup must drop. Every other event routes to
 * exactly one trigger, so the expected output count is known.
 */
public final class RawMix {

    /** The triggers the mix is made for. */
    public static final List<BenchTriggers.Spec> TRIGGERS = List.of(
            new BenchTriggers.Spec("triage", "triage-agent", 1, List.of("incident.triggered"), "P2"),
            new BenchTriggers.Spec("cleanup", "cleanup-agent", 1, List.of("incident.resolved"), null),
            new BenchTriggers.Spec("ack-watch", "ack-agent", 2, List.of("incident.acknowledged", "incident.escalated"),
                    null),
            new BenchTriggers.Spec("annotate", "notes-agent", 3, List.of("incident.annotated"), null));

    /** The agents of {@link #TRIGGERS}, whose topics receive the routed requests. */
    public static final List<String> AGENTS = List.of("triage-agent", "cleanup-agent", "ack-agent", "notes-agent");

    /** What was written. */
    public record Written(int records, int distinct, int filtered, int duplicates, int routable, long bytes) {
    }

    private RawMix() {
    }

    /** The secrets of the mix as environment variables for the trigger files. */
    public static Map<String, String> secretsEnv(List<String> secrets) {
        return Map.of(BenchTriggers.SECRET_VAR + 1, secrets.get(0), BenchTriggers.SECRET_VAR + 2, secrets.get(1),
                BenchTriggers.SECRET_VAR + 3, secrets.get(2));
    }

    /**
     * Writes {@code records} raw records: {@code filteredShare} of them filtered,
     * {@code duplicateShare} redeliveries of earlier routable ones.
     */
    public static Written write(String bootstrap, String topic, int records, double filteredShare,
            double duplicateShare, List<String> secrets, Payloads payloads, long seed) {
        Random random = new Random(seed);
        String[] fingerprints = secrets.stream().map(SecretFingerprint::of).toArray(String[]::new);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(128L * 1024 * 1024));
        int duplicates = (int) Math.round(records * duplicateShare);
        int distinct = records - duplicates;
        int filtered = (int) Math.round(records * filteredShare);
        int routable = distinct - filtered;
        if (routable < 1) {
            throw new IllegalArgumentException("too few records (" + records + ") for the mix");
        }
        List<ProducerRecord<String, byte[]>> routableSent = new ArrayList<>();
        long bytes = 0;
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            int f = 0;
            int r = 0;
            int d = 0;
            for (int i = 0; i < records; i++) {
                // spread the kinds evenly over the topic so every stretch of it looks alike
                double pos = (i + 1.0) / records;
                ProducerRecord<String, byte[]> record;
                if (d < duplicates && d < pos * duplicates && !routableSent.isEmpty()) {
                    ProducerRecord<String, byte[]> original = routableSent.get(random.nextInt(routableSent.size()));
                    record = new ProducerRecord<>(topic, null, original.key(), original.value(),
                            new RecordHeaders(original.headers().toArray()));
                    d++;
                } else if (f < filtered && (f < pos * filtered || r >= routable)) {
                    record = filtered(topic, random, payloads, fingerprints);
                    f++;
                } else if (r < routable) {
                    record = routable(topic, random, payloads, fingerprints);
                    routableSent.add(record);
                    if (routableSent.size() > 10_000) {
                        routableSent.remove(random.nextInt(routableSent.size()));
                    }
                    r++;
                } else {
                    // duplicates could not be placed yet (nothing routable before): a redelivery of the last one
                    ProducerRecord<String, byte[]> original = routableSent.get(routableSent.size() - 1);
                    record = new ProducerRecord<>(topic, null, original.key(), original.value(),
                            new RecordHeaders(original.headers().toArray()));
                    d++;
                }
                bytes += record.value().length;
                producer.send(record);
            }
            producer.flush();
            return new Written(records, r + f, f, d, r, bytes);
        }
    }

    private static ProducerRecord<String, byte[]> routable(String topic, Random random, Payloads payloads,
            String[] fingerprints) {
        int kind = random.nextInt(10);
        if (kind < 5) {
            return record(topic, payloads.next("incident.triggered", random.nextBoolean() ? "P1" : "P2"),
                    fingerprints[0]);
        } else if (kind < 7) {
            return record(topic, payloads.next("incident.resolved", "P2"), fingerprints[0]);
        } else if (kind < 9) {
            return record(topic, payloads.next(random.nextBoolean() ? "incident.acknowledged" : "incident.escalated",
                    "P3"), fingerprints[1]);
        }
        return record(topic, payloads.next("incident.annotated", "P2"), fingerprints[2]);
    }

    private static ProducerRecord<String, byte[]> filtered(String topic, Random random, Payloads payloads,
            String[] fingerprints) {
        if (random.nextBoolean()) {
            String[] low = {"P3", "P4", null};
            return record(topic, payloads.next("incident.triggered", low[random.nextInt(low.length)]), fingerprints[0]);
        }
        return record(topic, payloads.next("incident.resolved", "P3"), fingerprints[1]);
    }

    private static ProducerRecord<String, byte[]> record(String topic, Payloads.Event e, String fingerprint) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(PipelineHeaders.WEBHOOK_ID, utf8("W" + e.eventId()));
        headers.add(PipelineHeaders.WEBHOOK_SUBSCRIPTION, utf8("PSUBSCRIPTION1"));
        headers.add(PipelineHeaders.RECEIVED_AT, utf8(Instant.now().toString()));
        headers.add(PipelineHeaders.SECRET_FINGERPRINTS, utf8(fingerprint));
        return new ProducerRecord<>(topic, null, e.incidentId(), e.body(), headers);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
