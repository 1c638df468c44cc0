package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.health.Health;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routed requests, by request id: the compacted request log topic restored into memory at
 * start and tailed afterwards. The notes writer asks it which trigger a result's request came
 * from; a result may arrive before its request record was read, hence the writer's grace period.
 * Memory grows with the number of live keys in the topic (about 300 bytes each).
 */
public final class RequestLog implements AutoCloseable, ResultProcessor.Requests {

    private static final Logger log = LoggerFactory.getLogger(RequestLog.class);

    private final Map<String, RequestLogRecord> requests = new ConcurrentHashMap<>();
    private final CompactedTopicReader reader;

    private RequestLog(String topic, Properties clientProps, Health health) {
        this.reader = new CompactedTopicReader(topic, clientProps, "notes-request-log", this::apply, health);
    }

    /** Starts restoring and tailing {@code topic}; the reader reports to {@code health} as {@code notes-request-log}. */
    public static RequestLog start(String topic, Properties clientProps, Health health) {
        RequestLog requestLog = new RequestLog(Objects.requireNonNull(topic, "topic"),
                Objects.requireNonNull(clientProps, "clientProps"), health);
        requestLog.reader.start();
        return requestLog;
    }

    private void apply(String requestId, byte[] value) {
        if (value == null) {
            requests.remove(requestId);
            return;
        }
        try {
            requests.put(requestId, RequestLogRecord.parse(value));
        } catch (IllegalArgumentException e) {
            log.warn("Ignoring an unreadable request log record for request {}: {}", requestId, e.getMessage());
        }
    }

    public Optional<RequestLogRecord> get(String requestId) {
        return Optional.ofNullable(requests.get(Objects.requireNonNull(requestId, "requestId")));
    }

    public boolean isRestored() {
        return reader.isRestored();
    }

    boolean awaitRestored(Duration timeout) throws InterruptedException {
        return reader.awaitRestored(timeout);
    }

    public int size() {
        return requests.size();
    }

    @Override
    public void close() {
        reader.close();
    }
}
