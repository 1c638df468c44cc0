package dev.pdpipeline.processor.notes;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import dev.pdpipeline.common.health.Health;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
 *
 * <p>The topic is compacted with a retention (at least as long as results can be read again);
 * the entries live in a local store on disk ({@link NotesStore}), as written, parsed on lookup.
 */
public final class ResultsLedger implements AutoCloseable, ResultProcessor.Ledger {

    private static final Logger log = LoggerFactory.getLogger(ResultsLedger.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    /** The states of a ledger entry. */
    public enum State {
        ATTEMPTING, DONE, DEAD_LETTERED;

        /** {@code <code>"}: how the value continues after {@code {"state":"}. */
        private final byte[] quoted = (name().toLowerCase(Locale.ROOT) + "\"").getBytes(StandardCharsets.UTF_8);

        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }

        static State of(String code) {
            return State.valueOf(code.toUpperCase(Locale.ROOT));
        }
    }

    /** One ledger entry, as read from the store. */
    public record Entry(State state, List<String> noteIds) {
    }

    private final String topic;
    private final NotesStore store;
    private final CompactedTopicReader reader;
    private final KafkaProducer<byte[], byte[]> producer;
    private volatile boolean closed;

    private ResultsLedger(String topic, Properties clientProps, Health health, NotesStore store) {
        this.topic = topic;
        this.store = store;
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

    /**
     * Starts restoring and tailing {@code topic} into {@code store} (empty); the reader thread
     * reports to {@code health} as {@code notes-ledger}. The store is closed with the ledger.
     */
    public static ResultsLedger start(String topic, Properties clientProps, Health health, NotesStore store) {
        ResultsLedger ledger = new ResultsLedger(Objects.requireNonNull(topic, "topic"),
                Objects.requireNonNull(clientProps, "clientProps"), health, Objects.requireNonNull(store, "store"));
        ledger.reader.start();
        return ledger;
    }

    private void apply(List<ConsumerRecord<byte[], byte[]>> records) {
        List<NotesStore.Write> writes = new ArrayList<>(records.size());
        Map<java.nio.ByteBuffer, Boolean> doneInBatch = new HashMap<>(records.size() * 2);
        for (ConsumerRecord<byte[], byte[]> r : records) {
            java.nio.ByteBuffer key = java.nio.ByteBuffer.wrap(r.key());
            byte[] value = r.value();
            if (value == null) {
                writes.add(new NotesStore.Write(r.key(), null));
                doneInBatch.put(key, false);
                continue;
            }
            State state;
            try {
                state = stateOf(value);
            } catch (IllegalArgumentException e) {
                log.warn("Skipping unreadable ledger record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                        e.getMessage());
                continue;
            }
            // our own writes are applied at once; a state read back later never moves a result back
            if (state != State.DONE) {
                Boolean pending = doneInBatch.get(key);
                boolean done = pending != null ? pending
                        : isDone(store.get(new String(r.key(), StandardCharsets.UTF_8)));
                if (done) {
                    continue;
                }
            }
            writes.add(new NotesStore.Write(r.key(), value));
            doneInBatch.put(key, state == State.DONE);
        }
        store.write(writes);
    }

    private static boolean startsWith(byte[] value, byte[] prefix, int at) {
        if (value.length < at + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (value[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDone(byte[] stored) {
        if (stored == null) {
            return false;
        }
        try {
            return stateOf(stored) == State.DONE;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static final byte[] STATE_FIRST = "{\"state\":\"".getBytes(StandardCharsets.UTF_8);

    /**
     * The {@code state} field alone, read without building a tree (the restore reads every
     * entry); entries this writer wrote start with it, so that case is a byte comparison.
     */
    static State stateOf(byte[] value) {
        if (startsWith(value, STATE_FIRST, 0)) {
            for (State s : State.values()) {
                byte[] code = s.quoted;
                if (startsWith(value, code, STATE_FIRST.length)) {
                    return s;
                }
            }
        }
        try (JsonParser p = Json.mapper().getFactory().createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("unreadable ledger entry: not a JSON object");
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if ("state".equals(field) && v == JsonToken.VALUE_STRING) {
                    return State.of(p.getText());
                }
                p.skipChildren();
            }
            throw new IllegalArgumentException("unreadable ledger entry: no state");
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable ledger entry: " + e.getMessage(), e);
        }
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

    /**
     * The entry, if any; an unreadable one counts as absent (logged).
     *
     * @throws NotesStore.StoreException when the store cannot be read (the part fails too)
     */
    @Override
    public Optional<Entry> get(String resultId) {
        byte[] value = stored(() -> store.get(Objects.requireNonNull(resultId, "resultId")));
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(value));
        } catch (IllegalArgumentException e) {
            log.warn("Ignoring an unreadable ledger entry for result {}: {}", resultId, e.getMessage());
            return Optional.empty();
        }
    }

    /** A store call; its failure fails the ledger's part (unless closing) and is rethrown. */
    private <T> T stored(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (NotesStore.StoreException e) {
            if (!closed) {
                reader.fail(e);
            }
            throw e;
        }
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
        byte[] value;
        try {
            value = Json.mapper().writeValueAsBytes(json);
            producer.send(new ProducerRecord<>(topic, resultId.getBytes(StandardCharsets.UTF_8),
                    value)).get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording " + state.code() + " for result " + resultId, e);
        } catch (ExecutionException | TimeoutException | IOException e) {
            throw new IllegalStateException("cannot record " + state.code() + " for result " + resultId + " on "
                    + topic + ": " + (e instanceof ExecutionException ? e.getCause() : e), e);
        }
        stored(() -> {
            store.put(resultId, value);
            return null;
        });
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
        byte[] written = value;
        stored(() -> {
            store.put(resultId, written);
            return null;
        });
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
     * Completes once every entry written before this call (by any instance) is in the store: a
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
        closed = true;
        reader.close();
        producer.close(Duration.ofSeconds(5));
        store.close();
    }
}
