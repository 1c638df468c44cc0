package dev.pdpipeline.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The memory scenario tells the JVM's heap sizing apart from memory that grows. */
class MemoryBenchTest {

    @Test
    void theCommittedHeapIsTheSumOfTheHeapPoolsOfAPrometheusScrape() {
        String scrape = """
                # HELP jvm_memory_committed_bytes The amount of memory in bytes that is committed for the JVM to use
                # TYPE jvm_memory_committed_bytes gauge
                jvm_memory_committed_bytes{area="heap",id="G1 Eden Space"} 1.2582912E8
                jvm_memory_committed_bytes{area="heap",id="G1 Old Gen"} 4.6137344E7
                jvm_memory_committed_bytes{area="heap",id="G1 Survivor Space"} 2097152.0
                jvm_memory_committed_bytes{area="nonheap",id="Metaspace"} 6.2914560E7
                jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 3.0E7
                """;

        assertThat(MemoryBench.heapCommittedBytes(scrape)).isEqualTo(125_829_120L + 46_137_344L + 2_097_152L);
    }

    @Test
    void aScrapeWithoutHeapPoolsGivesMinusOne() {
        assertThat(MemoryBench.heapCommittedBytes("process_uptime_seconds 12.0\n")).isEqualTo(-1);
    }

    @Test
    void theResidentMemoryBeyondTheHeapIsUnknownWhenEitherIs() {
        MemoryBench.Point known = new MemoryBench.Point(1, 1, true, 1, 1, 1, 500_000, 520_000, 200_000, null);
        MemoryBench.Point noHeap = new MemoryBench.Point(1, 1, true, 1, 1, 1, 500_000, 520_000, -1, null);

        assertThat(known.rssBeyondHeapKb()).isEqualTo(300_000);
        assertThat(noHeap.rssBeyondHeapKb()).isEqualTo(-1);
    }
}
