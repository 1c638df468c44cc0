package dev.pdpipeline.processor.notes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.TtlDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A {@link NotesStore} in one RocksDB database. No write-ahead log: the topic is the source of
 * truth and the directory is wiped and restored at every start ({@link NotesStateDir}), so
 * nothing on disk is ever read back after a crash. With a retention, the database is opened as a
 * {@link TtlDB}: an entry is dropped by compaction some time after {@code ttlSeconds}, so a
 * long-running process does not keep what the broker has already deleted.
 */
final class RocksNotesStore implements NotesStore {

    private final String name;
    private final RocksDB db;
    private final WriteOptions writeOptions;
    /** Calls into a closed database crash the JVM: every call holds the read lock, close the write lock. */
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private RocksNotesStore(String name, RocksDB db, WriteOptions writeOptions) {
        this.name = name;
        this.db = db;
        this.writeOptions = writeOptions;
    }

    /**
     * @param ttlSeconds entries older than this may be dropped; 0 or less = kept until deleted
     * @throws StoreException when the database cannot be opened
     */
    static RocksNotesStore open(String name, Path dir, Options options, long ttlSeconds) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dir, "dir");
        WriteOptions writeOptions = new WriteOptions().setDisableWAL(true);
        try {
            RocksDB db = ttlSeconds > 0
                    ? TtlDB.open(options, dir.toString(), (int) Math.min(Integer.MAX_VALUE, ttlSeconds), false)
                    : RocksDB.open(options, dir.toString());
            return new RocksNotesStore(name, db, writeOptions);
        } catch (RocksDBException e) {
            writeOptions.close();
            throw new StoreException("cannot open the " + name + " store in " + dir + ": " + describe(e), e);
        }
    }

    @Override
    public byte[] get(String key) {
        lock.readLock().lock();
        try {
            open();
            return db.get(bytes(key));
        } catch (RocksDBException e) {
            throw new StoreException("cannot read the " + name + " store: " + describe(e), e);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void put(String key, byte[] value) {
        lock.readLock().lock();
        try {
            open();
            if (value == null) {
                db.delete(writeOptions, bytes(key));
            } else {
                db.put(writeOptions, bytes(key), value);
            }
        } catch (RocksDBException e) {
            throw new StoreException("cannot write the " + name + " store: " + describe(e), e);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void write(List<Write> writes) {
        if (writes.isEmpty()) {
            return;
        }
        lock.readLock().lock();
        try (WriteBatch batch = new WriteBatch()) {
            open();
            for (Write w : writes) {
                if (w.value() == null) {
                    batch.delete(w.key());
                } else {
                    batch.put(w.key(), w.value());
                }
            }
            db.write(writeOptions, batch);
        } catch (RocksDBException e) {
            throw new StoreException("cannot write the " + name + " store: " + describe(e), e);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public long approximateSize() {
        lock.readLock().lock();
        try {
            return closed ? -1 : db.getLongProperty("rocksdb.estimate-num-keys");
        } catch (RocksDBException e) {
            return -1;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                db.close();
                writeOptions.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void open() {
        if (closed) {
            throw new StoreException("the " + name + " store is closed", null);
        }
    }

    private static byte[] bytes(String key) {
        return Objects.requireNonNull(key, "key").getBytes(StandardCharsets.UTF_8);
    }

    private static String describe(RocksDBException e) {
        return e.getStatus() == null ? String.valueOf(e.getMessage())
                : e.getStatus().getCodeString() + ": " + e.getMessage();
    }
}
