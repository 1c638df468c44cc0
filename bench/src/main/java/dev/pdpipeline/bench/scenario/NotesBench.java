package dev.pdpipeline.bench.scenario;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "notes")
public final class NotesBench implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
