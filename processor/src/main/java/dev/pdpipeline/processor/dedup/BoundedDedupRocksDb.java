package dev.pdpipeline.processor.dedup;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the memory of every dedup store in this process together. Kafka Streams' defaults give
 * each store (one per raw partition this instance owns) its own 50 MiB block cache and three
 * 16 MiB memtables, so off-heap memory grows with the partitions an instance owns after a
 * rebalance; here every store shares one LRU cache that also accounts the memtables
 * ({@link WriteBufferManager}), with index and filter blocks inside it, as the Kafka Streams
 * memory-management documentation describes.
 *
 * <p>Kafka Streams creates this class by name, so the shared cache is static and sized by the
 * first store opened ({@link #CACHE_BYTES_CONFIG} among the Streams properties).
 */
public final class BoundedDedupRocksDb implements RocksDBConfigSetter {

    /** Streams property carrying {@code DEDUP_STORE_CACHE_MB} in bytes. */
    public static final String CACHE_BYTES_CONFIG = "pdpipeline.dedup.store.cache.bytes";
    /** Default total: block cache with index/filter blocks and memtables of all dedup stores. */
    public static final long DEFAULT_CACHE_BYTES = 64L << 20;
    private static final long MEMTABLE_BYTES = 8L << 20;
    private static final long BLOCK_BYTES = 16L << 10;

    private static Cache cache;
    private static WriteBufferManager writeBuffers;
    private static long cacheBytes;

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        long bytes = cacheBytes(configs.get(CACHE_BYTES_CONFIG));
        BlockBasedTableConfigWithAccessibleCache table = (BlockBasedTableConfigWithAccessibleCache) options.tableFormatConfig();
        table.setBlockCache(shared(bytes));
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        table.setBlockSize(BLOCK_BYTES);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(writeBuffers);
        options.setWriteBufferSize(Math.min(MEMTABLE_BYTES, Math.max(1L << 20, bytes / 8)));
        options.setMaxWriteBufferNumber(2);
    }

    /** The shared cache; half of it may hold memtables. */
    private static synchronized Cache shared(long bytes) {
        if (cache == null) {
            cacheBytes = bytes;
            // strict capacity off: a full cache must slow reads, never fail them; 10 % for index and filter blocks
            cache = new LRUCache(bytes, -1, false, 0.1);
            writeBuffers = new WriteBufferManager(bytes / 2, cache);
        }
        return cache;
    }

    /** The total this process's dedup stores share, in bytes; 0 before the first store opened. */
    public static synchronized long sharedCacheBytes() {
        return cache == null ? 0 : cacheBytes;
    }

    static long cacheBytes(Object configured) {
        if (configured == null) {
            return DEFAULT_CACHE_BYTES;
        }
        long v = configured instanceof Number n ? n.longValue() : Long.parseLong(configured.toString().trim());
        if (v < (4L << 20)) {
            throw new IllegalArgumentException(CACHE_BYTES_CONFIG + " must be at least 4 MiB, was " + v);
        }
        return v;
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the write buffer manager are shared by every store of the process: never closed here.
    }
}
