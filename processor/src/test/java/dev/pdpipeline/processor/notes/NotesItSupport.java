package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.TopicAdmin;
import dev.pdpipeline.common.testing.TestKafka;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** A fresh set of notes topics on the shared test broker, and helpers to feed them. */
final class NotesItSupport implements AutoCloseable {

    static final Pattern MARKER = Pattern.compile("\\[pdpipeline:[0-9a-f]{16}(:\\d+/\\d+)?]");

    final TestKafka kafka = TestKafka.shared();
    final TopicCatalogue topics;
    final String applicationId = "notes-it-" + UUID.randomUUID();
    final KafkaProducer<byte[], byte[]> producer;

    NotesItSupport() {
        topics = new TopicCatalogue(kafka.uniqueTopic("raw"), kafka.uniqueTopic("dlq"), "agent.{agent}.requests",
                kafka.uniqueTopic("results"), kafka.uniqueTopic("results-dlq"), kafka.uniqueTopic("requests"),
                kafka.uniqueTopic("ledger"));
        TopicAdmin.ensureTopics(kafka.admin(), NotesWriter.topicsToEnsure(topics, 3, (short) 1), Duration.ofSeconds(30));
        producer = new KafkaProducer<>(kafka.producerProps());
    }

    Properties clientProps() {
        Properties props = new Properties();
        props.setProperty("bootstrap.servers", kafka.bootstrapServers());
        return props;
    }

    static Map<String, String> env(FakePagerDuty fake, String... more) {
        Map<String, String> env = new HashMap<>();
        env.put(NotesConfig.PAGERDUTY_API_URL, fake.url().toString());
        env.put(NotesConfig.NOTES_UNKNOWN_REQUEST_GRACE_MS, "1000");
        env.put(NotesConfig.PAGERDUTY_REQUEST_TIMEOUT_MS, "2000");
        env.put(NotesConfig.PAGERDUTY_RETRY_INITIAL_BACKOFF_MS, "100");
        env.put(NotesConfig.PAGERDUTY_RETRY_MAX_BACKOFF_MS, "1000");
        env.put(NotesConfig.PAGERDUTY_RATE_LIMIT_PER_MINUTE, "60000");
        for (int i = 0; i + 1 < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return env;
    }

    NotesWriter start(Map<String, String> env, TriggerSet triggers, SimpleMeterRegistry registry) {
        return start(env, triggers, registry, ResultProcessor.Faults.NONE);
    }

    NotesWriter start(Map<String, String> env, TriggerSet triggers, SimpleMeterRegistry registry,
            ResultProcessor.Faults faults) {
        return start(env, triggers, registry, faults, new Health());
    }

    NotesWriter start(Map<String, String> env, TriggerSet triggers, SimpleMeterRegistry registry,
            ResultProcessor.Faults faults, Health health) {
        flush();
        return NotesWriter.start(NotesConfig.fromEnv(env), topics, clientProps(), applicationId, () -> triggers,
                registry, faults, health, null);
    }

    void request(String requestId, String trigger, String agent, String incident, boolean writeBack) {
        send(topics.requestLog(), requestId, RequestLogRecord.toJson(requestId, trigger, agent, incident,
                "ev-" + requestId, !writeBack, writeBack, Instant.now()));
    }

    /** Sends without waiting (in order per partition); call {@link #flush()} before relying on it. */
    void result(String incident, Map<String, Object> fields) {
        try {
            producer.send(new ProducerRecord<>(topics.results(), incident.getBytes(StandardCharsets.UTF_8),
                    Json.mapper().writeValueAsBytes(fields)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    void flush() {
        producer.flush();
    }

    void rawResult(String incident, String value) {
        send(topics.results(), incident, value.getBytes(StandardCharsets.UTF_8));
    }

    void send(String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    static Map<String, Object> note(String requestId, String incident, String agent, String note) {
        Map<String, Object> m = new HashMap<>();
        m.put("request_id", requestId);
        m.put("incident_id", incident);
        m.put("agent", agent);
        m.put("note", note);
        return m;
    }

    static String marker(String content) {
        Matcher m = MARKER.matcher(content);
        if (!m.find()) {
            throw new AssertionError("no marker in note: " + content);
        }
        return m.group();
    }

    static double count(SimpleMeterRegistry registry, String name, String... tags) {
        var counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    @Override
    public void close() {
        producer.close();
    }
}
