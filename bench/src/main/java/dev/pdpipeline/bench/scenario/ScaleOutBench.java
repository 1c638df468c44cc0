package dev.pdpipeline.bench.scenario;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "scaleout")
public final class ScaleOutBench implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
