package dev.pdpipeline.bench;

import dev.pdpipeline.bench.scenario.ConsoleBench;
import dev.pdpipeline.bench.scenario.EndToEndBench;
import dev.pdpipeline.bench.scenario.IngressBench;
import dev.pdpipeline.bench.scenario.MemoryBench;
import dev.pdpipeline.bench.scenario.NotesBench;
import dev.pdpipeline.bench.scenario.ProcessorBench;
import dev.pdpipeline.bench.scenario.ScaleOutBench;
import dev.pdpipeline.bench.scenario.SoakBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bench/run <scenario> [options]}: one subcommand per benchmark. Each prints a table and
 * writes {@code <out>/<scenario>-<timestamp>.json}; docs/benchmarks.md explains the figures.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Throughput and latency of the pipeline, each measured beside the limit it is bounded by.",
        subcommands = {IngressBench.class, EndToEndBench.class, ProcessorBench.class, ScaleOutBench.class,
            NotesBench.class, SoakBench.class, ConsoleBench.class, MemoryBench.class})
public final class Bench implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs one command line; the exit code (the smoke test calls this). */
    public static int execute(String... args) {
        return new CommandLine(new Bench()).execute(args);
    }
}
