package dev.pdpipeline.bench.scenario;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "processor")
public final class ProcessorBench implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
