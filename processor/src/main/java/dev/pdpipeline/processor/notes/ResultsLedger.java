package dev.pdpipeline.processor.notes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import dev.pdpipeline.common.health.Health;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happened to each result, by result id, in a compacted topic: {@code attempting} is
 * written (and acknowledged by all in-sync replicas) before PagerDuty is called, {@code done}
 * after it answered. A result found {@code done} is never written again; one found
 * {@code attempting} or {@code dead_lettered} may or may not have reached PagerDuty, so the writer
 * looks for its marker on the incident first.
 */
public final class ResultsLedger implements AutoCloseable, ResultProcessor.Ledger {

    private static final Logger log = LoggerFactory.getLogger(ResultsLedger.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    /** The states of a ledger entry. */
    public enum State {
        ATTEMPTING, DONE, DEAD_LETTERED;

        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }

        static State of(String code) {
            return State.valueOf(code.toUpperCase(Locale.ROOT));
        }
    }

    /** One ledger entry, as kept in memory. */
    public record Entry(State state, List<String> noteIds) {
    }

    private final String topic;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final CompactedTopicReader reader;
    private final KafkaProducer<byte[], byte[]> producer;

    private ResultsLedger(String topic, Properties clientProps, Health health) {
        this.topic = topic;
        this.reader = new CompactedTopicReader(topic, clientProps, "notes-ledger", this::apply, health);
        Properties props = new Properties();
        props.putAll(clientProps);
        props.remove("group.id");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "notes-ledger-producer");
        this.producer = new KafkaProducer<>(props);
    }

    /** Starts restoring and tailing {@code topic}; the reader thread reports to {@code health} as {@code notes-ledger}. */
    public static ResultsLedger start(String topic, Properties clientProps, Health health) {
        ResultsLedger ledger = new ResultsLedger(Objects.requireNonNull(topic, "topic"),
                Objects.requireNonNull(clientProps, "clientProps"), health);
        ledger.reader.start();
        return ledger;
    }

    private void apply(String resultId, byte[] value) {
        if (value == null) {
            entries.remove(resultId);
            return;
        }
        Entry entry = parse(value);
        // our own writes are applied at once; a state read back later never moves a result back
        entries.merge(resultId, entry, (old, neu) -> old.state() == State.DONE && neu.state() != State.DONE ? old : neu);
    }

    static Entry parse(byte[] value) {
        try {
            JsonNode json = Json.mapper().readTree(value);
            State state = State.of(json.path("state").asText());
            List<String> ids = new java.util.ArrayList<>();
            json.path("note_ids").forEach(n -> ids.add(n.asText()));
            return new Entry(state, List.copyOf(ids));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("unreadable ledger entry: " + e.getMessage(), e);
        }
    }

    public Optional<Entry> get(String resultId) {
        return Optional.ofNullable(entries.get(Objects.requireNonNull(resultId, "resultId")));
    }

    /**
     * Records a state and waits until the broker acknowledged it (acks=all).
     *
     * @throws IllegalStateException when the write failed or timed out; the caller must not call
     *                               PagerDuty for an {@code attempting} it could not record
     */
    public void record(String resultId, State state, AgentResult result, List<String> noteIds, String detail) {
        Objects.requireNonNull(resultId, "resultId");
        Objects.requireNonNull(state, "state");
        ObjectNode json = entryJson(resultId, state, result, noteIds, detail);
        try {
            producer.send(new ProducerRecord<>(topic, resultId.getBytes(StandardCharsets.UTF_8),
                    Json.mapper().writeValueAsBytes(json))).get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording " + state.code() + " for result " + resultId, e);
        } catch (ExecutionException | TimeoutException | IOException e) {
            throw new IllegalStateException("cannot record " + state.code() + " for result " + resultId + " on "
                    + topic + ": " + (e instanceof ExecutionException ? e.getCause() : e), e);
        }
        entries.put(resultId, new Entry(state, noteIds == null ? List.of() : List.copyOf(noteIds)));
        log.debug("Ledger: result {} {}", resultId, state.code());
    }

    /**
     * Records a state without waiting; the future completes when the broker acknowledged it (or
     * exceptionally). For {@code done}: losing it only costs a marker check if the result is ever
     * read again, so the writer need not wait for it before going on.
     */
    public java.util.concurrent.CompletableFuture<Void> recordAsync(String resultId, State state, AgentResult result,
            List<String> noteIds) {
        Objects.requireNonNull(resultId, "resultId");
        java.util.concurrent.CompletableFuture<Void> acked = new java.util.concurrent.CompletableFuture<>();
        byte[] value;
        try {
            value = Json.mapper().writeValueAsBytes(entryJson(resultId, state, result, noteIds, null));
        } catch (IOException e) {
            acked.completeExceptionally(e);
            return acked;
        }
        entries.put(resultId, new Entry(state, noteIds == null ? List.of() : List.copyOf(noteIds)));
        producer.send(new ProducerRecord<>(topic, resultId.getBytes(StandardCharsets.UTF_8), value), (meta, e) -> {
            if (e == null) {
                acked.complete(null);
            } else {
                acked.completeExceptionally(e);
            }
        });
        return acked;
    }

    private static ObjectNode entryJson(String resultId, State state, AgentResult result, List<String> noteIds,
            String detail) {
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("state", state.code());
        json.put("result_id", resultId);
        if (result != null) {
            json.put("request_id", result.requestId());
            json.put("incident_id", result.incidentId());
            json.put("agent", result.agent());
        }
        ArrayNode ids = json.putArray("note_ids");
        if (noteIds != null) {
            noteIds.forEach(id -> ids.add(id));
        }
        if (detail != null) {
            json.put("detail", detail);
        }
        json.put("at", Instant.now().toString());
        return json;
    }

    public boolean isRestored() {
        return reader.isRestored();
    }

    /**
     * Completes once every entry written before this call (by any instance) is in memory: a
     * results partition's new owner waits for it, so it sees the previous owner's last
     * {@code attempting} and {@code done} before writing anything.
     */
    public java.util.concurrent.CompletableFuture<Void> caughtUp() {
        return reader.caughtUp();
    }

    boolean awaitRestored(Duration timeout) throws InterruptedException {
        return reader.awaitRestored(timeout);
    }

    @Override
    public void close() {
        reader.close();
        producer.close(Duration.ofSeconds(5));
    }
}
