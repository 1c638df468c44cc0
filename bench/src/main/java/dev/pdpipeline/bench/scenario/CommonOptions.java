package dev.pdpipeline.bench.scenario;

import dev.pdpipeline.bench.kafka.BenchKafka;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every scenario has. */
public final class CommonOptions {

    @Option(names = "--bootstrap", description = "Use this Kafka (host:port) instead of starting one.")
    String bootstrap;

    BenchKafka.Mode broker = BenchKafka.Mode.CHILD;

    String brokerHeap = BenchKafka.DEFAULT_HEAP;

    @Option(names = "--out", defaultValue = "${sys:bench.out:-target/results}",
            description = "Directory of the JSON results (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--payload-bytes", defaultValue = "2048-8192",
            description = "Event size range min-max in bytes (default: ${DEFAULT-VALUE}).")
    String payloadBytes;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the event generator.")
    long seed;

    @Option(names = "--broker", defaultValue = "child", paramLabel = "child|in-process",
            description = "Without --bootstrap: start the broker in a JVM of its own (child, the default) or in"
                    + " the benchmark's JVM (in-process).")
    void broker(String mode) {
        broker = BenchKafka.Mode.parse(mode);
        BenchKafka.defaults(broker, null, null);
    }

    @Option(names = "--broker-heap", defaultValue = BenchKafka.DEFAULT_HEAP,
            description = "-Xmx of the broker's JVM (default: ${DEFAULT-VALUE}).")
    void brokerHeap(String heap) {
        brokerHeap = heap;
        BenchKafka.defaults(null, heap, null);
    }

    @Option(names = "--broker-jvm-options", defaultValue = "",
            description = "More JVM options of the broker's JVM, space-separated (e.g. JFR).")
    void brokerJvmOptions(String options) {
        BenchKafka.defaults(null, null, options);
    }

    /** The broker these options ask for (started now, or the one at --bootstrap). */
    BenchKafka kafka() {
        return BenchKafka.start(bootstrap, broker, brokerHeap);
    }

    int minBytes() {
        return Integer.parseInt(payloadBytes.split("-")[0].trim());
    }

    int maxBytes() {
        String[] parts = payloadBytes.split("-");
        return Integer.parseInt(parts[parts.length - 1].trim());
    }
}
