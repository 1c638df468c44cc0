package dev.pdpipeline.examples.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reference agent: consumes its request topic in a consumer group ({@code read_committed}),
 * answers each request with a markdown note on {@code agent.results} keyed by incident id, and
 * commits the offsets only after the results are acknowledged. At least once: a crash between
 * the two re-handles a batch, which is harmless because each result carries a {@code result_id}
 * derived from the request id, so the notes writer writes it once.
 *
 * <p>Embeddable ({@link #start()}/{@link #close()}); {@link Main} runs it alone.
 */
public final class ExampleAgent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExampleAgent.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);

    private final AgentSettings settings;
    private final ObjectMapper mapper = new ObjectMapper();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private Thread thread;

    public ExampleAgent(AgentSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        Properties c = settings.clientProperties();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "example-agent-" + settings.agentName());
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Properties p = settings.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "example-agent-" + settings.agentName() + "-results");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        this.consumer = new KafkaConsumer<>(c);
        try {
            this.producer = new KafkaProducer<>(p);
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    /** An agent configured by environment variables ({@link AgentSettings#fromEnv}); not started. */
    public static ExampleAgent fromEnv(Map<String, String> env) {
        return new ExampleAgent(AgentSettings.fromEnv(env));
    }

    /** An agent with default topics and group for {@code agentName} on {@code bootstrapServers}; not started. */
    public static ExampleAgent create(String bootstrapServers, String agentName) {
        return new ExampleAgent(AgentSettings.of(bootstrapServers, agentName));
    }

    /** Starts consuming on a thread of its own; returns this. */
    public synchronized ExampleAgent start() {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        thread = new Thread(this::run, "example-agent-" + settings.agentName());
        thread.start();
        LOG.info("Example agent {} consuming {} as group {}, answering on {} ({})", settings.agentName(),
                settings.requestTopic(), settings.groupId(), settings.resultsTopic(), settings.bootstrapServers());
        return this;
    }

    public AgentSettings settings() {
        return settings;
    }

    /** Requests answered with a result. */
    public long answered() {
        return answered.get();
    }

    /** Requests that could not be answered (not JSON, no request id, no incident). */
    public long skipped() {
        return skipped.get();
    }

    /**
     * Blocks until the consuming thread has ended: after {@link #close()}, or by itself after a
     * fatal error. A standalone agent should then exit non-zero so its supervisor restarts it.
     */
    public void awaitTermination() throws InterruptedException {
        Thread t = thread;
        if (t != null) {
            t.join();
        }
    }

    public boolean isRunning() {
        Thread t = thread;
        return running.get() && t != null && t.isAlive();
    }

    private void run() {
        try {
            consumer.subscribe(List.of(settings.requestTopic()));
            while (running.get()) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                if (!records.isEmpty()) {
                    handleBatch(records);
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                LOG.error("Example agent {} woken up unexpectedly; stopping", settings.agentName(), e);
            }
        } catch (RuntimeException e) {
            LOG.error("Example agent {} failed; stopping", settings.agentName(), e);
        } finally {
            running.set(false);
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("Closing the consumer of example agent {} failed: {}", settings.agentName(), e.toString());
            }
        }
    }

    /** Answers a batch, waits for the results to be acknowledged, then commits; retries the batch on failure. */
    private void handleBatch(ConsumerRecords<byte[], byte[]> records) {
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        Map<TopicPartition, Long> first = new HashMap<>();
        long answers = 0;
        for (ConsumerRecord<byte[], byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            first.putIfAbsent(tp, record.offset());
            next.put(tp, new OffsetAndMetadata(record.offset() + 1));
            ObjectNode result = answer(record);
            if (result != null) {
                byte[] key = result.get("incident_id").asText().getBytes(StandardCharsets.UTF_8);
                sends.add(producer.send(new ProducerRecord<>(settings.resultsTopic(), key, bytes(result))));
                answers++;
            }
        }
        try {
            for (Future<RecordMetadata> send : sends) {
                send.get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            consumer.commitSync(next);
            answered.addAndGet(answers);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Publishing results to {} failed ({}); handling the batch again in {} s", settings.resultsTopic(),
                    e instanceof ExecutionException ? e.getCause() : e, RETRY_PAUSE.toSeconds());
            first.forEach(consumer::seek);
            pause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.set(false);
        }
    }

    /** The result for one request, or null (logged) when it cannot be answered. */
    private ObjectNode answer(ConsumerRecord<byte[], byte[]> record) {
        try {
            JsonNode request = record.value() == null ? null : mapper.readTree(record.value());
            if (request == null || !request.isObject()) {
                throw new IllegalArgumentException("value is not a JSON object");
            }
            ObjectNode result = DiagnosisNote.result(mapper, request, settings.agentName());
            LOG.info("{} answered request {} from {}-{}@{}: {}", settings.agentName(), result.get("request_id").asText(),
                    record.topic(), record.partition(), record.offset(), DiagnosisNote.summary(request));
            return result;
        } catch (java.io.IOException | IllegalArgumentException e) {
            skipped.incrementAndGet();
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? "not JSON: " + j.getOriginalMessage() : e.getMessage();
            LOG.warn("{} skipped the record at {}-{}@{}: {}", settings.agentName(), record.topic(), record.partition(),
                    record.offset(), why);
            return null;
        }
    }

    private byte[] bytes(ObjectNode json) {
        try {
            return mapper.writeValueAsBytes(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a result", e);
        }
    }

    private void pause() {
        try {
            Thread.sleep(RETRY_PAUSE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.set(false);
        }
    }

    /** Stops consuming (results already sent stay; uncommitted requests are handled again next time). */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (running.getAndSet(false)) {
            consumer.wakeup();
        }
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(15).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            consumer.close(Duration.ofSeconds(5));
        }
        producer.close(Duration.ofSeconds(5));
    }
}
