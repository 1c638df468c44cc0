package dev.pdpipeline.processor.dedup;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Remembers which (event id, trigger) pairs were already routed, so each trigger fires at most once
 * per PagerDuty event however often the event arrives (redeliveries, several subscriptions,
 * reprocessing after a crash).
 *
 * <p>Layout: one entry per pair, key {@code <event id>\u0000<trigger name>} (UTF-8), value the
 * wall-clock time in epoch ms when the pair was first routed (8 bytes). One entry per pair rather
 * than one per event listing its triggers means no read-modify-write and constant-size values.
 * The store is persistent (RocksDB) and logged to a compacted changelog topic, so it survives
 * restarts and follows its partition to whichever instance owns it; under exactly-once its writes
 * commit atomically with the routed records and the consumed offsets.
 *
 * <p>An entry older than the window counts as absent when looked up (so correctness never
 * depends on the purge having run); {@link #purge} deletes such entries in bounded batches,
 * resuming where the previous run stopped.
 */
public final class DedupStore {

    /** Name of the state store (and the middle part of its changelog topic's name). */
    public static final String STORE_NAME = "pdpipeline-dedup";
    /** Separates event id and trigger name in a key; trigger names cannot contain it. */
    static final char SEPARATOR = '\u0000';
    /** Bytes of a value: one long. */
    public static final int VALUE_BYTES = Long.BYTES;

    private final KeyValueStore<String, Long> store;
    private final long windowMs;
    private String cursor;

    /**
     * @param store  the store built by {@link #storeBuilder()}
     * @param window how long a pair stays a duplicate after it was first routed
     */
    public DedupStore(KeyValueStore<String, Long> store, Duration window) {
        this.store = Objects.requireNonNull(store, "store");
        this.windowMs = Objects.requireNonNull(window, "window").toMillis();
    }

    /** Persistent, changelogged, uncached store (every write is in the next commit). */
    public static StoreBuilder<KeyValueStore<String, Long>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE_NAME), Serdes.String(), Serdes.Long())
                .withLoggingEnabled(Map.of())
                .withCachingDisabled();
    }

    /** The store key of a pair. */
    public static String key(String eventId, String trigger) {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(trigger, "trigger");
        return eventId + SEPARATOR + trigger;
    }

    /**
     * Payload bytes one entry takes (key + value), before RocksDB's and the changelog's own
     * per-record overhead; for sizing (docs/processor.md).
     */
    public static int entryBytes(String eventId, String trigger) {
        return key(eventId, trigger).getBytes(StandardCharsets.UTF_8).length + VALUE_BYTES;
    }

    /**
     * Records the pair as routed at {@code nowMs} unless it already was within the window.
     *
     * @return true when the pair is new (the caller routes it), false for a duplicate
     */
    public boolean markIfFirst(String eventId, String trigger, long nowMs) {
        String key = key(eventId, trigger);
        Long firstRouted = store.get(key);
        if (firstRouted != null && !isExpired(firstRouted, nowMs)) {
            return false;
        }
        store.put(key, nowMs);
        return true;
    }

    /**
     * Records the pair as routed at {@code nowMs}, for a caller that already checked
     * {@link #contains} while deciding every trigger of a record before marking any.
     */
    public void mark(String eventId, String trigger, long nowMs) {
        store.put(key(eventId, trigger), nowMs);
    }

    /** Whether the pair is remembered (and not expired) at {@code nowMs}. */
    public boolean contains(String eventId, String trigger, long nowMs) {
        Long firstRouted = store.get(key(eventId, trigger));
        return firstRouted != null && !isExpired(firstRouted, nowMs);
    }

    /**
     * Deletes expired entries, examining at most {@code maxExamined} entries from where the last
     * run stopped (wrapping around at the end of the store).
     *
     * @return how many entries were deleted
     */
    public int purge(long nowMs, int maxExamined) {
        List<String> expired = new ArrayList<>();
        int examined = 0;
        String last = null;
        boolean reachedEnd = true;
        try (KeyValueIterator<String, Long> it = cursor == null ? store.all() : store.range(cursor, null)) {
            while (it.hasNext()) {
                if (examined >= maxExamined) {
                    reachedEnd = false;
                    break;
                }
                KeyValue<String, Long> entry = it.next();
                examined++;
                last = entry.key;
                if (entry.value == null || isExpired(entry.value, nowMs)) {
                    expired.add(entry.key);
                }
            }
        }
        for (String key : expired) {
            store.delete(key);
        }
        // Resume after the last examined key next time; start over once the end was reached.
        cursor = reachedEnd || last == null ? null : successor(last);
        return expired.size();
    }

    /** Approximate number of entries, for a gauge. */
    public long approximateEntries() {
        return store.approximateNumEntries();
    }

    private boolean isExpired(long firstRoutedMs, long nowMs) {
        return nowMs - firstRoutedMs >= windowMs;
    }

    /** The smallest string after {@code key} in the store's (byte) order. */
    private static String successor(String key) {
        return key + '\u0000';
    }
}
