package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.health.Health;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routed requests, by request id: the request log topic (compacted, with a retention)
 * copied into a local store at start and tailed afterwards. The notes writer asks it which
 * trigger a result's request came from; a result may arrive before its request record was
 * read, hence the writer's grace period. Values are stored as read and parsed on lookup, so the
 * restore is a copy; the store is on disk, so memory does not grow with the history.
 */
public final class RequestLog implements AutoCloseable, ResultProcessor.Requests {

    private static final Logger log = LoggerFactory.getLogger(RequestLog.class);

    private final NotesStore store;
    private final CompactedTopicReader reader;
    private volatile boolean closed;

    private RequestLog(String topic, Properties clientProps, Health health, NotesStore store) {
        this.store = store;
        this.reader = new CompactedTopicReader(topic, clientProps, "notes-request-log", this::apply, health);
    }

    /**
     * Starts restoring and tailing {@code topic} into {@code store} (empty); the reader reports to
     * {@code health} as {@code notes-request-log}. The store is closed with this log.
     */
    public static RequestLog start(String topic, Properties clientProps, Health health, NotesStore store) {
        RequestLog requestLog = new RequestLog(Objects.requireNonNull(topic, "topic"),
                Objects.requireNonNull(clientProps, "clientProps"), health, Objects.requireNonNull(store, "store"));
        requestLog.reader.start();
        return requestLog;
    }

    private void apply(List<ConsumerRecord<byte[], byte[]>> records) {
        List<NotesStore.Write> writes = new ArrayList<>(records.size());
        for (ConsumerRecord<byte[], byte[]> r : records) {
            writes.add(new NotesStore.Write(r.key(), r.value()));
        }
        store.write(writes);
    }

    /**
     * The request, if the log has it; an unreadable record counts as absent (logged).
     *
     * @throws NotesStore.StoreException when the store cannot be read (the part fails too)
     */
    @Override
    public Optional<RequestLogRecord> get(String requestId) {
        byte[] value;
        try {
            value = store.get(Objects.requireNonNull(requestId, "requestId"));
        } catch (NotesStore.StoreException e) {
            if (!closed) {
                reader.fail(e);
            }
            throw e;
        }
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(RequestLogRecord.parse(value));
        } catch (IllegalArgumentException e) {
            log.warn("Ignoring an unreadable request log record for request {}: {}", requestId, e.getMessage());
            return Optional.empty();
        }
    }

    public boolean isRestored() {
        return reader.isRestored();
    }

    boolean awaitRestored(Duration timeout) throws InterruptedException {
        return reader.awaitRestored(timeout);
    }

    /** Estimated number of requests held. */
    public long size() {
        return store.approximateSize();
    }

    @Override
    public void close() {
        closed = true;
        reader.close();
        store.close();
    }
}
