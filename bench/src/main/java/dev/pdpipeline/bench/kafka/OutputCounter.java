package dev.pdpipeline.bench.kafka;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Counts what a read_committed consumer sees on the output topics until the expected number
 * arrived, remembering when the first and the last record became visible.
 */
public final class OutputCounter {

    /** The count and the times (System.nanoTime) of the first and last visible record. */
    public record Seen(long count, long firstNanos, long lastNanos, boolean complete) {
        /** Seconds from {@code startNanos} to the last record. */
        public double totalSeconds(long startNanos) {
            return (lastNanos - startNanos) / 1e9;
        }

        /** Seconds from the first to the last record. */
        public double steadySeconds() {
            return (lastNanos - firstNanos) / 1e9;
        }
    }

    private OutputCounter() {
    }

    /** Polls until {@code expected} records were seen or {@code timeout} passed. */
    public static Seen await(BenchKafka kafka, List<String> topics, long expected, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long count = 0;
        long first = 0;
        long last = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = kafka.committedReader(topics, false)) {
            while (count < expected && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(50));
                if (!records.isEmpty()) {
                    long now = System.nanoTime();
                    if (count == 0) {
                        first = now;
                    }
                    count += records.count();
                    last = now;
                }
            }
        }
        return new Seen(count, first, last, count >= expected);
    }
}
