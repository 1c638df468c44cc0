package dev.pdpipeline.bench.scenario;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every scenario has. */
public final class CommonOptions {

    @Option(names = "--bootstrap", description = "Use this Kafka instead of starting one in-process.")
    String bootstrap;

    @Option(names = "--out", defaultValue = "${sys:bench.out:-target/results}",
            description = "Directory of the JSON results (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--payload-bytes", defaultValue = "2048-8192",
            description = "Event size range min-max in bytes (default: ${DEFAULT-VALUE}).")
    String payloadBytes;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the event generator.")
    long seed;

    int minBytes() {
        return Integer.parseInt(payloadBytes.split("-")[0].trim());
    }

    int maxBytes() {
        String[] parts = payloadBytes.split("-");
        return Integer.parseInt(parts[parts.length - 1].trim());
    }
}
