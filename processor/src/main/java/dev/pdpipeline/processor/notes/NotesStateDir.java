package dev.pdpipeline.processor.notes;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Cache;
import org.rocksdb.CompressionType;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notes writer's directory of local stores ({@code <STATE_DIR>/<APPLICATION_ID>.notes}): the
 * request log and the results ledger, one RocksDB database each, sharing one block cache whose
 * capacity also bounds their write buffers (RocksDB's {@link WriteBufferManager} charges the
 * memtables to the cache). So their native memory is about the cache size whatever the
 * history, and the heap holds none of it.
 *
 * <p>Wiped at every start and restored from the topics: the stores are never out of step with
 * the topics, whatever happened before (a crash, another version, a changed retention). A file
 * lock keeps a second process (or writer) from using the same directory at once.
 */
final class NotesStateDir implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NotesStateDir.class);
    /**
     * Largest memtable of a database. Bigger memtables mean fewer flushes and level-0
     * compactions while restoring (a 1 M request restore took about half the time with 16 MiB
     * than with 4 MiB); the write-buffer manager keeps all of them together within half the cache.
     */
    static final long MAX_WRITE_BUFFER_BYTES = 16L * 1024 * 1024;
    static final String REQUEST_LOG = "request-log";
    static final String LEDGER = "results-ledger";

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Cache cache;
    private final WriteBufferManager writeBuffers;
    private final BloomFilter filter;
    private final List<Options> options = new ArrayList<>();
    private final List<RocksNotesStore> stores = new ArrayList<>();
    private final long cacheBytes;
    private final long writeBufferBytes;

    private NotesStateDir(Path dir, FileChannel lockChannel, FileLock lock, long cacheBytes) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.cacheBytes = cacheBytes;
        this.writeBufferBytes = Math.max(1L << 20, Math.min(MAX_WRITE_BUFFER_BYTES, cacheBytes / 2));
        RocksDB.loadLibrary();
        this.cache = new LRUCache(cacheBytes);
        // memtables of both databases count against the cache: one bound for all
        this.writeBuffers = new WriteBufferManager(cacheBytes / 2, cache);
        this.filter = new BloomFilter(10, false);
    }

    /** The directory for an application id under a state directory. */
    static Path of(Path stateDir, String applicationId) {
        return stateDir.resolve(applicationId + ".notes");
    }

    /**
     * Locks {@code dir}, removes what an earlier run left, and prepares the shared cache.
     *
     * @throws NotesStore.StoreException when the directory cannot be created or is in use
     */
    static NotesStateDir open(Path dir, long cacheBytes) {
        Objects.requireNonNull(dir, "dir");
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new NotesStore.StoreException("the notes state directory " + dir + " is in use by another "
                        + "notes writer (same STATE_DIR and APPLICATION_ID); give each instance its own STATE_DIR",
                        null);
            }
            for (String name : List.of(REQUEST_LOG, LEDGER)) {
                wipe(dir.resolve(name));
            }
            return new NotesStateDir(dir, channel, lock, cacheBytes);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new NotesStore.StoreException("cannot prepare the notes state directory " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** Opens one (empty) store; {@code ttlSeconds} <= 0 keeps entries until deleted. */
    synchronized RocksNotesStore store(String name, long ttlSeconds) {
        Options o = new Options()
                .setCreateIfMissing(true)
                .setWriteBufferManager(writeBuffers)
                .setWriteBufferSize(writeBufferBytes)
                .setMaxWriteBufferNumber(2)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setMaxBackgroundJobs(2)
                .setMaxOpenFiles(256)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
                .setKeepLogFileNum(2)
                .setMaxLogFileSize(1024 * 1024)
                .setTableFormatConfig(new BlockBasedTableConfig()
                        .setBlockCache(cache)
                        .setCacheIndexAndFilterBlocks(true)
                        .setPinL0FilterAndIndexBlocksInCache(true)
                        .setFilterPolicy(filter)
                        .setBlockSize(16 * 1024));
        if (ttlSeconds > 0) {
            // compactions happen rarely once writes slow down; make sure old files are looked at
            o.setPeriodicCompactionSeconds(Math.max(3_600, ttlSeconds / 4));
        }
        options.add(o);
        RocksNotesStore store = RocksNotesStore.open(name, dir.resolve(name), o, ttlSeconds);
        stores.add(store);
        log.info("Notes store {} in {} (block cache and write buffers {} MiB shared, memtable up to {} MiB, {})",
                name, dir.resolve(name), cacheBytes >> 20, writeBufferBytes >> 20,
                ttlSeconds > 0 ? "entries dropped after " + ttlSeconds + " s" : "no expiry");
        return store;
    }

    Path dir() {
        return dir;
    }

    @Override
    public synchronized void close() {
        stores.forEach(RocksNotesStore::close);
        stores.clear();
        options.forEach(Options::close);
        options.clear();
        writeBuffers.close();
        filter.close();
        cache.close();
        try {
            lock.release();
        } catch (IOException e) {
            log.debug("Releasing the lock of {}: {}", dir, e.toString());
        }
        closeQuietly(lockChannel);
    }

    private static void wipe(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }
}
