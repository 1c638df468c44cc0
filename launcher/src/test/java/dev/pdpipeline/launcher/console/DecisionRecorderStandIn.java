package dev.pdpipeline.launcher.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.event.InvalidEventException;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.launcher.replay.TriggerVerdicts;
import dev.pdpipeline.processor.envelope.AgentRequestEnvelope;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes decisions records (GUIDE's schema_version 1) for the raw records of a test run, for as
 * long as the processor of this branch does not record them itself. The console dedups by the raw
 * record's source coordinates, so once the processor records decisions both may run together;
 * then this class can go. Runs in its own thread on a read_committed consumer of the raw topic.
 */
final class DecisionRecorderStandIn implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final TopicCatalogue topics;
    private final TriggerSet triggers;
    private final Set<String> routed = new HashSet<>();
    private final Thread thread;
    private final String bootstrap;
    private volatile boolean running = true;

    DecisionRecorderStandIn(String bootstrap, TopicCatalogue topics, TriggerSet triggers) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer = new KafkaConsumer<>(c);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
        this.topics = topics;
        this.triggers = triggers;
        this.bootstrap = bootstrap;
        thread = new Thread(this::loop, "decision-recorder-stand-in");
        thread.setDaemon(true);
    }

    DecisionRecorderStandIn start() {
        Properties a = new Properties();
        a.put("bootstrap.servers", bootstrap);
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(a)) {
            dev.pdpipeline.common.kafka.TopicAdmin.ensureTopics(admin,
                    java.util.List.of(new org.apache.kafka.clients.admin.NewTopic(topics.decisions(), 3, (short) 1)),
                    Duration.ofSeconds(30));
        }
        thread.start();
        return this;
    }

    private void loop() {
        consumer.assign(consumer.partitionsFor(topics.raw(), Duration.ofSeconds(30)).stream()
                .map(i -> new org.apache.kafka.common.TopicPartition(i.topic(), i.partition())).toList());
        consumer.seekToBeginning(consumer.assignment());
        while (running) {
            try {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    ObjectNode d = decide(r);
                    producer.send(new ProducerRecord<>(topics.decisions(), d.path("incident").path("id").asText(null),
                            Json.mapper().writeValueAsBytes(d)));
                }
                producer.flush();
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                return;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private ObjectNode decide(ConsumerRecord<byte[], byte[]> r) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("schema_version", 1);
        n.put("webhook_id", PipelineHeaders.text(r.headers(), PipelineHeaders.WEBHOOK_ID));
        n.put("received_at", PipelineHeaders.text(r.headers(), PipelineHeaders.RECEIVED_AT));
        n.put("decided_at", Instant.now().toString());
        n.putObject("source").put("topic", r.topic()).put("partition", r.partition()).put("offset", r.offset());
        ArrayNode decisions = n.putArray("triggers");
        PagerDutyEvent event;
        try {
            event = PagerDutyEvent.parse(r.value());
        } catch (InvalidEventException e) {
            n.putNull("event_id");
            n.put("outcome", "dead_lettered");
            n.putObject("dead_letter").put("reason", e.reason()).put("detail", e.detail());
            return n;
        }
        if (event.isPing()) {
            n.put("outcome", "ping");
            return n;
        }
        EventMetadata md = event.metadata();
        n.put("event_id", md.eventId());
        n.put("event_type", md.eventType());
        n.put("occurred_at", md.occurredAt());
        ObjectNode inc = n.putObject("incident");
        inc.put("id", md.incidentId());
        ObjectNode full = (ObjectNode) md.toJson();
        inc.set("number", full.get("incident_number"));
        inc.set("title", full.get("title"));
        inc.set("html_url", full.get("html_url"));
        inc.set("urgency", full.get("urgency"));
        inc.set("priority", full.get("priority"));
        inc.put("service_id", md.serviceId());
        inc.put("service_name", md.serviceName());
        boolean any = false;
        Set<String> fingerprints = PipelineHeaders.secretFingerprints(r.headers());
        for (TriggerVerdicts.Verdict v : TriggerVerdicts.evaluate(triggers, fingerprints == null ? Set.of() : fingerprints, md)) {
            ObjectNode t = decisions.addObject();
            t.put("trigger", v.trigger().name());
            if (v.routed() && !routed.add(md.eventId() + "\n" + v.trigger().name())) {
                t.put("decision", "duplicate");
                t.put("reason", "event " + md.eventId() + " was already routed by this trigger");
                continue;
            }
            t.put("decision", switch (v.kind()) {
                case ROUTED -> "routed";
                case REJECTED -> "rejected";
                case DISABLED -> "disabled";
                case NOT_SIGNED -> "not_signed";
            });
            if (v.field() != null) {
                t.put("field", v.field());
            }
            t.put("reason", v.reason());
            if (v.routed()) {
                any = true;
                t.putObject("target").put("kind", "agent").put("name", v.trigger().agent());
                t.put("topic", topics.agentTopic(v.trigger().agent()));
                t.put("request_id", AgentRequestEnvelope.requestId(md.eventId(), v.trigger().name()));
            }
        }
        n.put("outcome", any ? "routed" : "not_routed");
        return n;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
        consumer.close();
        producer.close();
    }
}
