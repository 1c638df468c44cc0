package dev.pdpipeline.processor.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DedupStoreTest {

    private static final long HOUR = Duration.ofHours(1).toMillis();

    private KeyValueStore<String, Long> store;
    private DedupStore dedup;

    @BeforeEach
    void setUp() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("dedup-test"), Serdes.String(), Serdes.Long())
                .withLoggingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        dedup = new DedupStore(store, Duration.ofHours(72));
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    @Test
    void marksAPairOnceWithinTheWindow() {
        assertThat(dedup.markIfFirst("EV-1", "t1", 0)).isTrue();
        assertThat(dedup.markIfFirst("EV-1", "t1", 71 * HOUR)).isFalse();
        assertThat(dedup.markIfFirst("EV-1", "t2", 71 * HOUR)).as("another trigger").isTrue();
        assertThat(dedup.markIfFirst("EV-2", "t1", 71 * HOUR)).as("another event").isTrue();
    }

    @Test
    void marksAPairCheckedBeforehandWithoutReadingItAgain() {
        assertThat(dedup.contains("EV-1", "t1", 0)).isFalse();

        dedup.mark("EV-1", "t1", 0);

        assertThat(dedup.contains("EV-1", "t1", 71 * HOUR)).isTrue();
        assertThat(dedup.contains("EV-1", "t1", 72 * HOUR)).as("expired").isFalse();
        assertThat(dedup.markIfFirst("EV-1", "t1", HOUR)).isFalse();
    }

    @Test
    void treatsAPairAsNewOnceTheWindowHasPassedAndRestartsItsWindow() {
        dedup.markIfFirst("EV-1", "t1", 0);

        assertThat(dedup.markIfFirst("EV-1", "t1", 72 * HOUR)).isTrue();
        assertThat(dedup.markIfFirst("EV-1", "t1", 143 * HOUR)).isFalse();
    }

    @Test
    void keepsEventIdAndTriggerApartInTheKey() {
        dedup.markIfFirst("EV-1", "t1", 0);

        assertThat(dedup.contains("EV-1t", "1", 1)).isFalse();
        assertThat(DedupStore.key("EV-1", "t1")).isEqualTo("EV-1\u0000t1");
    }

    @Test
    void purgesOnlyExpiredEntriesInBoundedBatchesAcrossRuns() {
        for (int i = 0; i < 25; i++) {
            dedup.markIfFirst(String.format("EV-%02d", i), "t1", i < 20 ? 0 : 70 * HOUR);
        }
        long now = 73 * HOUR; // the first 20 expired, the last 5 not

        int first = dedup.purge(now, 10);
        int second = dedup.purge(now, 10);
        int third = dedup.purge(now, 10);

        assertThat(first).isEqualTo(10);
        assertThat(second).isEqualTo(10);
        assertThat(third).isZero();
        assertThat(store.approximateNumEntries()).isEqualTo(5);
        assertThat(dedup.contains("EV-24", "t1", now)).isTrue();
        assertThat(dedup.purge(200 * HOUR, 100)).as("wrapped around to the start").isEqualTo(5);
    }

    @Test
    void sizesAnEntryAsKeyBytesPlusEightValueBytes() {
        // a 26-character PagerDuty event id and a 24-character trigger name
        assertThat(DedupStore.entryBytes("01HXTRIG0000000000000001AB", "payments-major-incidents")).isEqualTo(26 + 1 + 24 + 8);
    }
}
