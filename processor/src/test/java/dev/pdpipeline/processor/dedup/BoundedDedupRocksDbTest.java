package dev.pdpipeline.processor.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.junit.jupiter.api.Test;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

class BoundedDedupRocksDbTest {

    static {
        RocksDB.loadLibrary();
    }

    @Test
    void everyDedupStoreOfTheProcessSharesOneBoundedCache() {
        BoundedDedupRocksDb setter = new BoundedDedupRocksDb();
        Map<String, Object> configs = Map.of(BoundedDedupRocksDb.CACHE_BYTES_CONFIG, 32L << 20);
        try (Options first = options(); Options second = options()) {
            setter.setConfig("dedup-0", first, configs);
            setter.setConfig("dedup-1", second, configs);
            var a = (BlockBasedTableConfigWithAccessibleCache) first.tableFormatConfig();
            var b = (BlockBasedTableConfigWithAccessibleCache) second.tableFormatConfig();
            assertThat(a.blockCache()).isNotNull().isSameAs(b.blockCache());
            assertThat(a.cacheIndexAndFilterBlocks()).isTrue();
            assertThat(first.writeBufferSize()).isLessThanOrEqualTo(8L << 20);
            assertThat(first.maxWriteBufferNumber()).isEqualTo(2);
            assertThat(BoundedDedupRocksDb.sharedCacheBytes()).isPositive();
        }
    }

    @Test
    void refusesACacheTooSmallToHoldTheMemtables() {
        assertThatThrownBy(() -> BoundedDedupRocksDb.cacheBytes(1024L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(BoundedDedupRocksDb.CACHE_BYTES_CONFIG);
        assertThat(BoundedDedupRocksDb.cacheBytes(null)).isEqualTo(BoundedDedupRocksDb.DEFAULT_CACHE_BYTES);
        assertThat(BoundedDedupRocksDb.cacheBytes("8388608")).isEqualTo(8L << 20);
    }

    private static Options options() {
        Options options = new Options();
        options.setTableFormatConfig(new BlockBasedTableConfigWithAccessibleCache());
        return options;
    }
}
