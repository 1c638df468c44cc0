package dev.pdpipeline.processor.notes;

import java.util.List;

/**
 * A local copy of one compacted topic, by key (UTF-8 string) to the record's value bytes. Kept on
 * disk ({@link RocksNotesStore}) so that the heap does not grow with history; values are stored
 * as read and parsed on lookup, which keeps the restore at start cheap.
 */
interface NotesStore extends AutoCloseable {

    /** One write of a batch: the key as UTF-8 bytes (as read from the topic), {@code value} null removes it. */
    record Write(byte[] key, byte[] value) {
        Write(String key, byte[] value) {
            this(key.getBytes(java.nio.charset.StandardCharsets.UTF_8), value);
        }
    }

    /** The value, or null. @throws StoreException when the store cannot be read */
    byte[] get(String key);

    /** Writes one value (null removes it). @throws StoreException when the store cannot be written */
    void put(String key, byte[] value);

    /** Writes a batch in order, atomically. @throws StoreException when the store cannot be written */
    void write(List<Write> writes);

    /** Estimated number of keys (for metrics and logs). */
    long approximateSize();

    @Override
    void close();

    /** A local store failed: the copy is not trustworthy any more, so its part fails. */
    final class StoreException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
