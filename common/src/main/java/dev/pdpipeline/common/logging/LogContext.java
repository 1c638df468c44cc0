package dev.pdpipeline.common.logging;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.MDC;

/**
 * The names of the log context fields (SLF4J MDC) the pipeline sets while it handles a record, and
 * a scope that removes them again. With {@code LOG_FORMAT=json} each becomes a field of the JSON
 * line, so a log shipper can search by event, incident, trigger or record position without
 * parsing messages. Values are identifiers only, never secrets or payload text.
 */
public final class LogContext implements AutoCloseable {

    public static final String EVENT_ID = "event_id";
    public static final String INCIDENT = "incident";
    public static final String TRIGGER = "trigger";
    public static final String TOPIC = "topic";
    public static final String PARTITION = "partition";
    public static final String OFFSET = "offset";

    private final List<String> keys = new ArrayList<>();

    private LogContext() {
    }

    /** A scope for one record: its topic, partition and offset (either may be null when unknown). */
    public static LogContext record(String topic, Integer partition, Long offset) {
        LogContext scope = new LogContext();
        scope.put(TOPIC, topic);
        scope.put(PARTITION, partition == null ? null : partition.toString());
        scope.put(OFFSET, offset == null ? null : offset.toString());
        return scope;
    }

    /** Adds a field to this scope; null values are left out. */
    public LogContext put(String key, String value) {
        if (value != null) {
            MDC.put(key, value);
            if (!keys.contains(key)) {
                keys.add(key);
            }
        }
        return this;
    }

    /** Removes the fields this scope set. */
    @Override
    public void close() {
        keys.forEach(MDC::remove);
        keys.clear();
    }
}
